import { describe, expect, it, vi } from "vitest";
import { LABEL, PROJECT, newRunId, runLabels } from "./labels.js";
import { SELF } from "./process-identity.js";

const AT = new Date("2026-11-26T17:15:09.123Z");

describe("newRunId", () => {
  it("is a UTC timestamp, the scenario's slug and 4 hex digits", () => {
    const id = newRunId("canary-fail", AT);
    expect(id).toMatch(/^20261126-171509-canary-fail-[0-9a-f]{4}$/);
  });

  it("slugs the name to lower-case letters, digits and single dashes", () => {
    expect(newRunId("  Canary FAIL!! (v2) ", AT)).toMatch(/^20261126-171509-canary-fail-v2-[0-9a-f]{4}$/);
    expect(newRunId("db_outage/recover", AT)).toMatch(/^20261126-171509-db-outage-recover-[0-9a-f]{4}$/);
  });

  it("falls back to 'run' when nothing of the name is usable", () => {
    expect(newRunId("", AT)).toMatch(/^20261126-171509-run-[0-9a-f]{4}$/);
    expect(newRunId("***", AT)).toMatch(/^20261126-171509-run-[0-9a-f]{4}$/);
  });

  it("keeps the slug to at most 40 characters without a dangling dash", () => {
    const long = newRunId("a".repeat(60), AT);
    expect(long).toMatch(new RegExp(`^20261126-171509-${"a".repeat(40)}-[0-9a-f]{4}$`));
    // The cut lands right after a separator.
    const cut = newRunId(`${"a".repeat(39)} b`, AT);
    expect(cut).toMatch(new RegExp(`^20261126-171509-${"a".repeat(39)}-[0-9a-f]{4}$`));
    expect(cut).not.toContain("--");
  });

  it("sorts by time", () => {
    const ids = [
      newRunId("zzz", new Date("2026-11-26T17:15:09Z")),
      newRunId("aaa", new Date("2026-11-26T17:15:10Z")),
      newRunId("mmm", new Date("2026-11-27T01:00:00Z")),
      newRunId("bbb", new Date("2027-01-01T00:00:00Z")),
    ];
    expect([...ids].sort()).toEqual(ids);
  });

  it("differs between two runs started in the same second", () => {
    const ids = new Set(Array.from({ length: 20 }, () => newRunId("same", AT)));
    expect(ids.size).toBeGreaterThan(1);
  });

  it("uses the current time by default", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(new Date("2030-02-03T04:05:06Z"));
      expect(newRunId("now")).toMatch(/^20300203-040506-now-[0-9a-f]{4}$/);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("runLabels", () => {
  it("labels the project and the run", () => {
    // The owner pid lets `npm run clean` leave a live run alone.
    expect(runLabels("r-1")).toEqual({ [LABEL.project]: PROJECT, [LABEL.runId]: "r-1", [LABEL.ownerPid]: SELF });
    expect(LABEL.project).toBe("dev.deploy-gameday.project");
    expect(LABEL.runId).toBe("dev.deploy-gameday.run-id");
    expect(PROJECT).toBe("deploy-gameday");
  });

  it("adds the role when one is given", () => {
    expect(runLabels("r-1", "postgres")).toEqual({
      "dev.deploy-gameday.project": "deploy-gameday",
      "dev.deploy-gameday.run-id": "r-1",
      "dev.deploy-gameday.owner-pid": SELF,
      "dev.deploy-gameday.role": "postgres",
    });
    expect(runLabels("r-1", "")).not.toHaveProperty(LABEL.role);
  });
});
