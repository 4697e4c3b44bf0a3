// lane: alone (stress-ng on every core on purpose: nothing else may run beside it)
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ScenarioFiles } from "../support/scenario-files.js";
import { cli, evidenceDirs, readResults, runContainers } from "./cli.js";

// The harness knows when its own machine is the problem: the same scenario fails on a quiet machine and is
// inconclusive on one starved of CPU on purpose (stress-ng on every core, bounded in time); and two runs of
// canary-fail started at once take turns (or run side by side) by the machine's budget, and both pass.
// --retries runs the inconclusive one again, never the failed one.

const files = new ScenarioFiles();
beforeAll(() => files.open("gameday-headroom-"));
afterAll(() => files.close());

/** A light load on one instance with a threshold no machine meets (p95 under 1 ms through vegeta): it always fails. */
const UNMEETABLE = `name: unmeetable
description: a light load whose p95 threshold no machine meets, so it fails unless the machine was saturated
database: false
versions:
  stable: { image: app, tag: good-1, replicas: 1 }
load:
  target: stable
  executor: constant-arrival-rate
  rate: 20
  duration: 8s
  requests:
    - { method: GET, path: /health }
  thresholds:
    http_req_duration: ["p(95)<1"]
steps:
  - { name: steady, observe: 8s }
expect:
  - { id: fast, thresholds: passed }
`;

type Results = ReturnType<typeof readResults> & {
  expectations: Array<{ id: string; held: boolean; evidence: string; inconclusive?: string }>;
  headroom: { saturated: Array<{ from: number; to: number; reason: string }> };
  budget: { cores: number; waitedSeconds: number; fit: boolean; beside: string[]; noWait: boolean };
};

let stress: ChildProcess | undefined;
afterEach(() => {
  // stress-ng forks a worker per core: the whole process group goes, not only the parent.
  if (stress?.pid !== undefined) {
    try {
      process.kill(-stress.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  stress = undefined;
});

describe("a machine saturated by something else", () => {
  it("fails the scenario on a quiet machine: nothing was saturated while it was measured", async () => {
    // --retries runs an inconclusive scenario again, never a failed one.
    const r = await cli(["scenario", "--retries", "1", files.write(UNMEETABLE, "quiet.yaml")]);
    const results = readResults(r.runDir!) as Results;
    expect(results.expectations[0]).toMatchObject({ id: "fast", held: false });
    expect(results.expectations[0]!.inconclusive, JSON.stringify(results.headroom)).toBeUndefined();
    expect(results.verdict).toBe("failed");
    expect(r.code).toBe(1);
    expect(evidenceDirs(r.stdout)).toHaveLength(1);
    expect(r.stdout).not.toMatch(/: running \S+ again, attempt/);
  }, 120_000);

  it("makes it inconclusive, with the reason, when every core is taken by stress-ng; --inconclusive=fail turns that into exit 1", async () => {
    // Every core busy for at most 180 s (killed with its workers after the test), started before the runs so it covers them.
    stress = spawn("stress-ng", ["--cpu", "0", "--timeout", "180s", "--quiet"], { stdio: "ignore", detached: true });
    const r = await cli(["scenario", files.write(UNMEETABLE, "starved.yaml")]);
    const results = readResults(r.runDir!) as Results;
    expect(results.headroom.saturated.length, r.stdout).toBeGreaterThan(0);
    expect(results.headroom.saturated.some((s) => /^host CPU \d+% busy \(limit 97%\) for \d+ samples in a row$/.test(s.reason))).toBe(true);
    expect(results.expectations[0]).toMatchObject({ id: "fast", held: false, inconclusive: expect.stringMatching(/^the machine running the harness was saturated while this was measured \(/) });
    expect(results.verdict).toBe("inconclusive");
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/\? fast: /);
    expect(readFileSync(join(r.runDir!, "junit.xml"), "utf8")).toContain('failures="0" skipped="1"');
    expect(readFileSync(join(r.runDir!, "report.html"), "utf8")).toContain("<h2>Headroom of the machine running the harness</h2>");

    const strict = await cli(["scenario", "--inconclusive=fail", files.write(UNMEETABLE, "starved-strict.yaml")]);
    expect((readResults(strict.runDir!) as Results).verdict).toBe("inconclusive");
    expect(strict.code).toBe(1);
    expect(await runContainers(results.runId)).toBe(0);

    // --retries 1: run again once, a new run with its own folder; still starved, it is inconclusive twice and exits 3.
    const retried = await cli(["scenario", "--retries", "1", files.write(UNMEETABLE, "starved-retried.yaml")]);
    const attempts = evidenceDirs(retried.stdout);
    expect(attempts, retried.stdout).toHaveLength(2);
    expect(attempts.map((d) => (readResults(d) as Results).verdict)).toEqual(["inconclusive", "inconclusive"]);
    expect(new Set(attempts.map((d) => readResults(d).runId)).size).toBe(2);
    expect(retried.stdout).toMatch(/^inconclusive \(fast: the machine running the harness was saturated while this was measured \(.+\)\): running unmeetable again, attempt 2 of 2 \(--retries 1\)$/m);
    expect(retried.stdout).toMatch(/^ {2}unmeetable +INCONCLUSIVE .+ \(attempt 2; attempt 1 inconclusive: \S+\)$/m);
    expect(retried.code).toBe(3);
  }, 300_000);
});

describe("two runs of canary-fail started at once", () => {
  it("both pass: the second waits for the first's share of the machine, or runs beside it where the budget allows", async () => {
    const [a, b] = await Promise.all([cli(["scenario", "canary-fail"]), cli(["scenario", "canary-fail"])]);
    const ra = readResults(a.runDir!) as Results;
    const rb = readResults(b.runDir!) as Results;
    for (const [r, results] of [[a, ra], [b, rb]] as const) {
      for (const e of results.expectations) expect(e.held, `${e.id}: ${e.evidence}`).toBe(true);
      expect(r.code).toBe(0);
      expect(results.budget.noWait).toBe(false);
      expect(results.budget.fit).toBe(true);
    }
    const [first, second] = ra.budget.waitedSeconds <= rb.budget.waitedSeconds ? [ra, rb] : [rb, ra];
    const secondOut = first === ra ? b.stdout : a.stdout;
    if (first.budget.cores + second.budget.cores > availableParallelism()) {
      // They do not fit side by side: one after the other, and the one that waited said for whom.
      expect(second.budget.waitedSeconds).toBeGreaterThan(5);
      expect(secondOut).toMatch(/waiting for \d+(\.\d+)? of the machine's \d+ cores: canary-fail \(run /);
      expect(second.budget.beside).toEqual([]);
    } else {
      expect(second.budget.beside.length + first.budget.beside.length).toBeGreaterThan(0);
    }
  }, 300_000);
});
