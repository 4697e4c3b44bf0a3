import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SuiteRecord } from "../../harness/suite/record.js";
import { noDatabaseScenario, ScenarioFiles } from "../support/scenario-files.js";
import { cli } from "./cli.js";

// gameday suite on a folder of the user's own: every scenario runs, past a failing one; one page links
// every run's report, with the trend against the suite before; one JUnit file; a bad filter starts nothing.

const files = new ScenarioFiles();
let out: string;
beforeAll(() => {
  files.open("gameday-suite-");
  out = mkdtempSync(join(tmpdir(), "gameday-suite-out-"));
});
afterAll(() => {
  files.close();
  rmSync(out, { recursive: true, force: true });
});

/** A quick scenario with no database: /ready rightly 503, or wrongly expected 200 (a failing run). */
const quick = (name: string, ready: 200 | 503) => noDatabaseScenario({ name, description: `the service without a database, /ready expected ${ready}`, observe: "1s", ready, readyId: `ready-${ready}`, tags: ["quick"] });

/** When a run began and ended (epoch ms), from its own timeline. */
const spanOf = (runDir: string): { from: number; to: number } => {
  const events = readFileSync(join(runDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; at: string });
  const at = (type: string) => Date.parse(events.find((e) => e.type === type)!.at);
  return { from: at("run.started"), to: at("run.finished") };
};

const suiteOf = (stdout: string): string => {
  const m = /^suite: (\S+)index\.html/m.exec(stdout);
  expect(m, stdout).not.toBeNull();
  return resolve(m![1]!);
};

describe("gameday suite", () => {
  it("runs every scenario past a failure, links each report from one page, and follows the trend from one suite to the next", async () => {
    files.write(quick("quick-pass", 503), "quick-pass.yaml");
    files.write(quick("quick-fail", 200), "quick-fail.yaml");
    // A folder of this attempt's own: a retry must not find the suites of the attempt before in its trend.
    const trendOut = mkdtempSync(join(out, "trend-"));
    const first = await cli(["suite", "--from", files.folder, "--out-dir", trendOut, "--tag", "quick"]);
    expect(first.code, first.stdout + first.stderr).toBe(1);
    const dir = suiteOf(first.stdout);
    const record = JSON.parse(readFileSync(join(dir, "suite.json"), "utf8")) as SuiteRecord;
    // Name order; the failure did not stop the suite.
    expect(record.runs.map((r) => [r.name, r.verdict, r.exitCode])).toEqual([
      ["quick-fail", "failed", 1],
      ["quick-pass", "passed", 0],
    ]);
    expect(record.runs[0]!.story).toMatch(/^ready-200: /);
    expect(record.runs[0]!.expectations).toEqual({ held: 1, failed: 1, inconclusive: 0 });
    expect(record.exitCode).toBe(1);
    const page = readFileSync(join(dir, "index.html"), "utf8");
    for (const r of record.runs) {
      expect(page).toContain(`<a href="${r.runDir}/report.html"><b>${r.name}</b></a>`);
      expect(existsSync(join(dir, r.runDir, "report.html")), r.runDir).toBe(true);
    }
    // Two small runs fit the machine's budget together: they went side by side, each line named after its run.
    const [a, b] = record.runs.map((r) => spanOf(join(dir, r.runDir)));
    expect(a!.from < b!.to && b!.from < a!.to, `runs overlap: ${JSON.stringify([a, b])}`).toBe(true);
    expect(first.stdout).toMatch(/^\[quick-fail\] \[ *\d+\.\ds\] /m);
    expect(first.stdout).toMatch(/^\[quick-pass\] evidence: /m);
    const junit = readFileSync(join(dir, "junit.xml"), "utf8");
    expect(junit.match(/<testsuite /g)).toHaveLength(2);
    expect(junit).toContain('<testcase classname="quick-fail" name="ready-200"');

    // The next suite, of one scenario, compares with the first.
    const second = await cli(["suite", "--from", files.folder, "--out-dir", trendOut, "--only", "quick-pass"]);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const next = suiteOf(second.stdout);
    expect(next).not.toBe(dir);
    const trend = readFileSync(join(next, "index.html"), "utf8");
    expect(trend).toContain(`<a href="../${record.id}/index.html">${record.id}</a>`);
    expect(trend).toMatch(new RegExp(`<td class="trend"><span class="m-passed" title="${record.id}">✓</span><b class="m-passed">✓</b></td>`));
    expect(trend).toMatch(/s <small>\([+-]\d+% against \d+\.\d s\)<\/small>/);
    expect(readFileSync(join(trendOut, "suites", "latest", "suite.json"), "utf8")).toContain(`"quick-pass"`);
  }, 180_000);

  it("runs one after the other with --serial, lines unnamed", async () => {
    const r = await cli(["suite", "--from", files.folder, "--out-dir", out, "--tag", "quick", "--serial"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const dir = suiteOf(r.stdout);
    const record = JSON.parse(readFileSync(join(dir, "suite.json"), "utf8")) as SuiteRecord;
    expect(record.runs.map((x) => x.name)).toEqual(["quick-fail", "quick-pass"]);
    const [a, b] = record.runs.map((x) => spanOf(join(dir, x.runDir)));
    expect(a!.to <= b!.from, `one after the other: ${JSON.stringify([a, b])}`).toBe(true);
    expect(r.stdout).not.toMatch(/^\[quick-/m);
  }, 180_000);

  it("refuses a filter that matches nothing, with a did-you-mean, and starts nothing", async () => {
    const before = readdirSync(out).length;
    const r = await cli(["suite", "--from", files.folder, "--out-dir", out, "--tag", "quik"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no scenario has the tag "quik".*quick/);
    expect(readdirSync(out).length).toBe(before);
  }, 60_000);
});
