import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProcesses } from "../../harness/cleanup/processes.js";
import { LABEL } from "../../harness/common/labels.js";
import { docker } from "../../harness/engine/docker.js";
import { ROOT } from "../../harness/common/paths.js";
import { cli, leftBy, readResults, runContainers, runStory } from "./cli.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

// Every strategy scenario through the real CLI: exit code, results.json and the evidence in it.

interface Results {
  verdict: string;
  timeScale: number;
  platform: string;
  expectations: Array<{ id: string; held: boolean; evidence: string }>;
  rollback: null | { trigger: string; stage: string; source: string; detectedAfterSeconds: number | null; completedAfterSeconds: number };
  load: Array<{ phase: string; requests: number; stoppedBy: string; thresholds: Array<{ metric: string; expression: string; pass: boolean; observed: number }> }>;
}

async function run(nameOrFile: string): Promise<{ code: number | null; results: Results; stdout: string; runDir: string; pid: number }> {
  const r = await cli(["scenario", nameOrFile]);
  expect(r.runDir, `no run folder; stderr: ${r.stderr}\nstdout: ${r.stdout}`).toBeDefined();
  return { code: r.code, results: readResults(r.runDir!) as unknown as Results, stdout: r.stdout, runDir: r.runDir!, pid: r.pid };
}

/** Every expectation held; a failure says why, and what the run saw of its load and its machine. */
function allHeld(results: Results, runDir: string): void {
  for (const e of results.expectations) if (!e.held) expect.fail(`${e.id}: ${e.evidence}\n${runStory(runDir)}`);
}

describe("strategy scenarios on Docker", () => {
  it("canary-fail: rolled back during canary-10 by the error-rate trigger, stable back to 100%", async () => {
    const { code, results, runDir, pid } = await run("canary-fail");
    allHeld(results, runDir);
    expect(code).toBe(0);
    expect(results).toMatchObject({ verdict: "passed", platform: "docker", timeScale: 0.01 });
    expect(results.rollback).toMatchObject({ trigger: "error_rate", stage: "canary-10", source: "rollback-trigger" });
    expect(results.rollback!.detectedAfterSeconds).toBeGreaterThan(0);
    expect(results.rollback!.completedAfterSeconds).toBeGreaterThanOrEqual(0);
    // The load phase's summary and its k6-style threshold verdicts are in the results too.
    expect(results.load).toHaveLength(1);
    expect(results.load[0]!.requests).toBeGreaterThan(100);
    expect(results.load[0]!.thresholds.map((t) => [t.metric, t.expression, t.pass])).toEqual([
      ["http_req_duration", "p(95)<2000", true],
      ["http_req_failed{version:good-1}", "rate<0.01", true],
    ]);
    expect(await leftBy(pid)).toEqual({ containers: 0, networks: 0 });
  }, 180_000);

  it("canary-fail-gradual: the gradual rollback steps the candidate down, stated in the report", async () => {
    const r = await cli(["scenario", "canary-fail-gradual"]);
    const results = readResults(r.runDir!) as unknown as Results & { rollback: { strategy: string } };
    allHeld(results, r.runDir!);
    expect(r.code).toBe(0);
    expect(results.rollback).toMatchObject({ trigger: "error_rate", stage: "canary-10", strategy: "gradual" });
    const events = readFileSync(join(r.runDir!, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; shares?: Record<string, number>; candidatePercentage?: number });
    const steps = events.filter((e) => e.type === "rollback.step").map((e) => e.candidatePercentage);
    expect(steps).toEqual([8, 5, 3]);
    // The router itself was seen holding an intermediate share on the way down.
    const decided = events.findIndex((e) => e.type === "rollback.decided");
    const seen = events.slice(decided).filter((e) => e.type === "router.observed").map((e) => e.shares!.candidate);
    expect(seen.some((c) => c! > 0 && c! < 10)).toBe(true);
    expect(r.stdout).toMatch(/ROLLBACK during canary-10 \(gradual\)/);
  }, 180_000);

  it("canary-success: promoted through canary-10 and canary-50 with no trigger", async () => {
    const { code, results, runDir } = await run("canary-success");
    allHeld(results, runDir);
    expect(code).toBe(0);
    expect(results.rollback).toBeNull();
  }, 180_000);

  it("canary-latency-fail: rolled back on response time", async () => {
    const { code, results, runDir } = await run("canary-latency-fail");
    allHeld(results, runDir);
    expect(code).toBe(0);
    expect(results.rollback).toMatchObject({ trigger: "response_time", stage: "canary-10" });
  }, 180_000);

  it("bluegreen-success: 10% -> 50% -> 100% with no rollback", async () => {
    const { code, results, runDir } = await run("bluegreen-success");
    allHeld(results, runDir);
    expect(code).toBe(0);
    expect(results.rollback).toBeNull();
  }, 180_000);

  it("bluegreen-fail: the 5% threshold rolls back at the 10% shift", async () => {
    const { code, results, runDir } = await run("bluegreen-fail");
    allHeld(results, runDir);
    expect(code).toBe(0);
    expect(results.rollback).toMatchObject({ trigger: "error_rate", stage: "shift-10" });
  }, 180_000);

  it("health-check-failure: three consecutive failures roll back", async () => {
    const { code, results, runDir } = await run("health-check-failure");
    allHeld(results, runDir);
    expect(code).toBe(0);
    expect(results.rollback).toMatchObject({ trigger: "health_check_failures" });
  }, 180_000);

  it("health-check-recovers: two failures then recovery is not rolled back", async () => {
    const { code, results, runDir } = await run("health-check-recovers");
    allHeld(results, runDir);
    expect(code).toBe(0);
    expect(results.rollback).toBeNull();
  }, 180_000);

  it("a harness killed outright in the middle of a canary leaves no container, network or load process behind", async () => {
    let runId = "";
    let loadProcessesBeforeKill = 0;
    let scheduled = false;
    const r = await cli(["scenario", "canary-fail"], {
      onStdout: (text, child) => {
        runId ||= /run (\S+): scenario/.exec(text)?.[1] ?? "";
        if (text.includes("stage canary-10") && !scheduled) {
          scheduled = true;
          setTimeout(() => {
            loadProcessesBeforeKill = runProcesses(runId).length;
            child.kill("SIGKILL");
          }, 1000);
        }
      },
    });
    expect(r.code).toBeNull();
    expect(runId).not.toBe("");
    expect(loadProcessesBeforeKill).toBeGreaterThan(0); // vegeta was running, marked with the run id
    // vegeta would run on for the rest of its planned 18 s: the reaper must kill it well before that.
    const processDeadline = Date.now() + 5_000;
    while (runProcesses(runId).length > 0 && Date.now() < processDeadline) await new Promise((res) => setTimeout(res, 100));
    expect(runProcesses(runId)).toEqual([]);
    // The reaper removes the containers, then the network they were on: wait for both.
    const networks = () => docker().listNetworks({ filters: { label: [`${LABEL.runId}=${runId}`] } });
    const deadline = Date.now() + 30_000;
    while (((await runContainers(runId)) > 0 || (await networks()).length > 0) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 250));
    expect(await runContainers(runId)).toBe(0);
    expect(await networks()).toEqual([]);
  }, 180_000);

  it("a deliberately wrong expectation fails with exit 1 and says which expectation and why", async () => {
    const text = readFileSync(join(ROOT, "scenarios/canary-fail.yaml"), "utf8").replace(
      "rollback: { trigger: error_rate, stage: canary-10 }",
      "rollback: { trigger: response_time, stage: canary-50 }",
    );
    const file = join(mkdtempSync(join(tmpdir(), "gameday-e2e-")), "wrong.yaml");
    writeFileSync(file, text);
    const { code, results, stdout } = await run(file);
    expect(code).toBe(1);
    expect(results.verdict).toBe("failed");
    const wrong = results.expectations.find((e) => e.id === "rolled-back-by-error-rate")!;
    expect(wrong.held).toBe(false);
    expect(wrong.evidence).toContain("fired by error_rate, not response_time");
    expect(wrong.evidence).toContain("during canary-10, not canary-50");
    expect(stdout).toContain("✗ rolled-back-by-error-rate");
    expect(results.expectations.filter((e) => e.id !== wrong.id).every((e) => e.held)).toBe(true);
  }, 180_000);
});
