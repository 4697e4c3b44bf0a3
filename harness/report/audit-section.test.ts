import { describe, expect, it } from "vitest";
import { auditSection } from "./audit-section.js";
import type { RunResults } from "./results.js";

const run = (audit: RunResults["audit"]) => ({ audit }) as RunResults;

describe("the audit section of a report", () => {
  it("names the records the run appended, the trail's head, and its environment's DORA measures", () => {
    const html = auditSection(
      run({
        file: "trail.jsonl",
        records: [7, 8],
        head: { seq: 8, chain: "ab".repeat(32) },
        environment: "production",
        dora: { environment: "production", deployments: 5, deploymentsPerDay: 2.5, leadTimeHours: 0.5, changeFailureRate: 0.4, timeToRestoreHours: 60 },
      }),
    );
    expect(html).toContain("Records #7, #8 appended; the trail's head after them: seq 8, <code>abababababababab…</code>");
    expect(html).toContain("<h3>Delivery in production, every run so far (DORA)</h3>");
    expect(html).toMatch(/deployment frequency<\/td><td>2\.50 per day/);
    expect(html).toMatch(/lead time for changes[^<]*<\/td><td>30 min/);
    expect(html).toMatch(/change failure rate[^<]*<\/td><td>40%/);
    expect(html).toMatch(/time to restore[^<]*<\/td><td>2\.5 days/);
  });

  it("says why a run's records are missing, and is empty for a run that appended none", () => {
    expect(auditSection(run({ file: "t", records: [], error: "EACCES: permission denied" }))).toContain("<b>not recorded</b>: EACCES: permission denied");
    expect(auditSection(run({ file: "t", records: [] }))).toBe("");
    expect(auditSection(run(undefined))).toBe("");
  });
});
