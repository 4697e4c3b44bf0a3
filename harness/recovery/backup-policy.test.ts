import { describe, expect, it } from "vitest";
import { TimeScale } from "../common/clock.js";
import { loadDeploymentSpec } from "../document/deployment-spec.js";
import { frequencyOf, intervalOf, retentionOf } from "./backup-policy.js";

describe("backup policy from the document", () => {
  const spec = loadDeploymentSpec();

  it("reads each kind's retention in spec milliseconds", () => {
    expect(retentionOf(spec.backup)).toEqual({ database: 30 * 86_400_000, "application-data": 90 * 86_400_000, configuration: 365 * 86_400_000 });
  });

  it("schedules the hourly database backup every 3.6 s wall at time scale 0.001, and configuration on change only", () => {
    const every = intervalOf(frequencyOf(spec.backup, "database"));
    expect(every).toBe(3_600_000);
    expect(new TimeScale(0.001).toWallMs(every!)).toBe(3_600);
    expect(intervalOf(frequencyOf(spec.backup, "application-data"))).toBe(86_400_000);
    expect(intervalOf(frequencyOf(spec.backup, "configuration"))).toBeUndefined();
  });
});
