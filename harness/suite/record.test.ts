import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { suitePage } from "./page.js";
import { previousSuites, suiteId, SUITE_SCHEMA_VERSION, trendOf, type SuiteRecord, type SuiteRun } from "./record.js";

const run = (name: string, verdict: string, wallSeconds: number): SuiteRun => ({
  name,
  platform: "docker",
  verdict,
  exitCode: verdict === "passed" ? 0 : 1,
  wallSeconds,
  runDir: `../../20261201-000000-${name}-0000`,
  expectations: { held: verdict === "passed" ? 3 : 2, failed: verdict === "passed" ? 0 : 1, inconclusive: 0 },
  story: verdict === "passed" ? "every expectation held" : "promoted: expected true, got false",
  tags: ["docker"],
});
const suite = (id: string, runs: SuiteRun[]): SuiteRecord => ({
  schemaVersion: SUITE_SCHEMA_VERSION,
  id,
  startedAt: "2026-12-01T00:00:00.000Z",
  wallSeconds: runs.reduce((a, r) => a + r.wallSeconds, 0),
  filter: { tags: [], names: [] },
  harness: { commit: "0123456789ab", host: "ci", cores: 2, memoryGiB: 8, node: "v20" },
  exitCode: runs.some((r) => r.verdict !== "passed") ? 1 : 0,
  runs,
  skipped: [],
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "suites-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function save(s: SuiteRecord): void {
  mkdirSync(join(dir, s.id), { recursive: true });
  writeFileSync(join(dir, s.id, "suite.json"), JSON.stringify(s));
}

describe("suite records", () => {
  it("names a suite by its time, so names sort by it", () => {
    expect(suiteId(new Date("2026-12-02T04:48:40.123Z"), "3f9a")).toBe("suite-20261202-044840-3f9a");
    expect(suiteId()).toMatch(/^suite-\d{8}-\d{6}-[0-9a-f]{4}$/);
  });

  it("finds the suites before this one, oldest first, at most the limit, passing over a folder without a record", () => {
    for (const id of ["suite-20261201-000000", "suite-20261201-010000", "suite-20261201-020000", "suite-20261201-030000"]) save(suite(id, [run("canary-fail", "passed", 10)]));
    mkdirSync(join(dir, "suite-20261201-025000")); // interrupted before it wrote suite.json
    expect(previousSuites(dir, "suite-20261201-030000").map((s) => s.id)).toEqual(["suite-20261201-000000", "suite-20261201-010000", "suite-20261201-020000"]);
    expect(previousSuites(dir, "suite-20261201-030000", 2).map((s) => s.id)).toEqual(["suite-20261201-010000", "suite-20261201-020000"]);
    expect(previousSuites(join(dir, "none"), "suite-x")).toEqual([]);
  });

  it("follows a scenario across suites, with a gap where it did not run", () => {
    const before = [suite("suite-1", [run("a", "passed", 10)]), suite("suite-2", [run("b", "passed", 5)]), suite("suite-3", [run("a", "failed", 12)])];
    expect(trendOf("a", before)).toEqual([{ id: "suite-1", verdict: "passed", wallSeconds: 10 }, { id: "suite-2" }, { id: "suite-3", verdict: "failed", wallSeconds: 12 }]);
  });
});

describe("the suite's page", () => {
  it("links every run's report, says what decided it, and shows its trend and time against the suites before", () => {
    const before = [suite("suite-1", [run("canary-fail", "passed", 10), run("health-endpoints", "passed", 20)]), suite("suite-2", [run("canary-fail", "failed", 12)])];
    const now = suite("suite-3", [run("canary-fail", "failed", 15), run("health-endpoints", "passed", 20)]);
    const html = suitePage(now, before);
    expect(html).toContain('<span class="verdict failed">failed</span>');
    expect(html).toContain('<a href="../../20261201-000000-canary-fail-0000/report.html"><b>canary-fail</b></a>');
    expect(html).toContain("promoted: expected true, got false");
    // canary-fail: passed, then failed, now failed; 15 s against the median of 10 and 12 s.
    expect(html).toMatch(/<td class="trend"><span class="m-passed" title="suite-1">✓<\/span><span class="m-failed" title="suite-2">✗<\/span><b class="m-failed">✗<\/b><\/td>/);
    expect(html).toContain("15.0 s <small>(+50% against 10.0 s)</small>");
    // health-endpoints did not run in suite-2.
    expect(html).toContain('<span class="m-none" title="suite-2">·</span>');
    expect(html).toContain('<a href="../suite-1/index.html">suite-1</a>');
    expect(html).toContain("1 passed, 1 failed (exit 1)");
  });

  it("links the inconclusive attempts before a run that --retries ran again", () => {
    const again = { ...run("oom-restart", "passed", 60), earlier: [{ runDir: "../../20261201-000000-oom-restart-aaaa", reason: "alive-after: saturated" }] };
    const html = suitePage(suite("suite-4", [again]), []);
    expect(html).toContain('<br><small><a href="../../20261201-000000-oom-restart-aaaa/report.html">attempt 1</a>: inconclusive</small>');
  });
});
