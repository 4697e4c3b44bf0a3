import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditTrail } from "../audit/audit-trail.js";
import { ExitCode } from "../common/errors.js";
import type { KindSession } from "../platforms/kind/session.js";
import { results } from "../report/test-fixtures.js";
import type { RunResults } from "../report/results.js";
import type { RunOptions, RunOutcome } from "../runner/run-scenario.js";
import { ScenarioFiles } from "../../test/support/scenario-files.js";
import { loadScenario } from "../scenario/load-scenario.js";
import type { PipelineSpec, Scenario } from "../scenario/scenario.js";
import type { Verdict } from "../timeline/events.js";
import { runPipeline } from "./run-pipeline.js";

/**
 * The pipeline's own logic with stand-in stage runs (each stage's real run
 * on kind is covered end to end by test/e2e/pipeline.e2e.test.ts): which
 * stages run, in what order, with which options; the gate from listed and
 * recorded approvals; what the audit trail gets; where the promotion stops.
 */
const files = new ScenarioFiles();
let dir: string;
let trailFile: string;
beforeEach(() => {
  files.open("gameday-run-pipeline-");
  dir = mkdtempSync(join(tmpdir(), "gameday-pipeline-runs-"));
  trailFile = join(dir, "audit", "trail.jsonl");
  process.env.GAMEDAY_AUDIT_LOG = trailFile;
});
afterEach(() => {
  files.close();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.GAMEDAY_AUDIT_LOG;
});

type Planned = { verdict: Verdict; rollback?: RunResults["rollback"] };

/** A stand-in for runScenario: writes nothing but the run's folder, and answers as planned per environment. */
function stages(plan: Record<string, Planned>) {
  const calls: Array<{ scenario: Scenario; options: RunOptions }> = [];
  const run = async (scenario: Scenario, options: RunOptions): Promise<RunOutcome> => {
    calls.push({ scenario, options });
    const planned = plan[scenario.environment!] ?? { verdict: "passed" };
    const runId = `run-${scenario.name}`;
    const runDir = join(options.runsDir!, runId);
    mkdirSync(runDir, { recursive: true });
    const exitCode = planned.verdict === "passed" ? 0 : planned.verdict === "failed" ? 1 : 3;
    const judged = [{ id: "promoted", description: "promoted", held: planned.verdict === "passed", evidence: "seen", ...(planned.verdict === "inconclusive" ? { inconclusive: "saturated" } : {}) }];
    return { verdict: planned.verdict, exitCode, runDir, results: results(judged, { runId, scenario: scenario.name, verdict: planned.verdict, exitCode, rollback: planned.rollback ?? null }) };
  };
  return { calls, run };
}

const options = (): RunOptions => ({ signal: new AbortController().signal, runsDir: dir, kind: {} as KindSession });

function pipelineFile(p: string, expect: string): Scenario & { pipeline: PipelineSpec } {
  return loadScenario(files.write(`name: pipe\ndescription: a pipeline\npipeline:\n${p}\nexpect:\n${expect}\n`)) as Scenario & { pipeline: PipelineSpec };
}

const MAIN = `  branch: main
  release: v9
  version: good-2
  production: good-1
  trail: TRAIL
  approvals: APPROVALS`;

describe("a pipeline run", () => {
  it("develop: runs development then staging on the invocation's cluster, each in its own folder under the pipeline's, and records each promotion", async () => {
    const s = stages({});
    const scenario = pipelineFile("  branch: develop\n  release: v9\n  version: good-2", "  - id: ok\n    pipeline: { outcome: succeeded, stages: { development: passed, staging: passed }, untouched: [production] }");
    const kind = {} as KindSession;
    const out = await runPipeline(scenario, { ...options(), kind }, s.run);
    // One seed for every stage, the pipeline's own, so --seed replays them all.
    expect(new Set(s.calls.map((c) => c.options.seed))).toEqual(new Set([out.results.seed]));
    expect(s.calls.map((c) => [c.scenario.environment, c.options.platform, c.options.kind === kind, c.options.runsDir])).toEqual([
      ["development", "kind", true, join(out.runDir, "stages")],
      ["staging", "kind", true, join(out.runDir, "stages")],
    ]);
    expect(out).toMatchObject({ verdict: "passed", exitCode: ExitCode.held });
    expect(out.results.pipeline).toMatchObject({ outcome: "succeeded", stoppedAt: null, stages: [{ environment: "development", status: "passed", database: "agi_eval_dev" }, { environment: "staging", status: "passed", database: "agi_eval_staging" }] });
    expect(out.results.pipeline!.stages[0]!.run).toMatchObject({ runId: "run-pipe-development", dir: "stages/run-pipe-development" });
    const records = new AuditTrail({ file: trailFile }).read();
    expect(records.map((r) => [r.type, r.body?.from, r.body?.to])).toEqual([
      ["promotion", "branch develop", "development"],
      ["promotion", "development", "staging"],
    ]);
    expect(new AuditTrail({ file: trailFile }).verify().ok).toBe(true);
    for (const f of ["results.json", "report.html", "events.jsonl", "junit.xml", "metrics.prom"]) expect(existsSync(join(out.runDir, f)), f).toBe(true);
    expect(readFileSync(join(out.runDir, "report.html"), "utf8")).toContain('<a href="stages/run-pipe-development/report.html">');
  });

  it("stops at the first stage that does not pass: the rest is skipped and the pipeline failed there", async () => {
    const s = stages({ development: { verdict: "failed" } });
    const scenario = pipelineFile("  branch: develop\n  release: v9\n  version: good-2", "  - id: stops\n    pipeline: { outcome: failed, stoppedAt: development, stages: { development: failed, staging: skipped } }");
    const out = await runPipeline(scenario, options(), s.run);
    expect(s.calls).toHaveLength(1);
    expect(out.verdict).toBe("passed");
    expect(out.results.pipeline!.reason).toMatch(/^development failed: promoted failed: seen$/);
    expect(new AuditTrail({ file: trailFile }).read()).toEqual([]);
  });

  it("opens the gate with approvals listed in the file, records the decision, and deploys to production", async () => {
    const s = stages({});
    const scenario = pipelineFile(MAIN.replace("TRAIL", "false").replace("APPROVALS", "[{ by: ana, group: senior-engineers }, { by: bo, group: security-team }]"), "  - id: g\n    gate: { environment: production, granted: true }");
    const out = await runPipeline(scenario, options(), s.run);
    expect(s.calls.map((c) => c.scenario.environment)).toEqual(["production"]);
    expect(out.verdict).toBe("passed");
    const [gate, promotion] = new AuditTrail({ file: trailFile }).read();
    expect(gate).toMatchObject({ type: "gate", class: "approval_records", sealed: false, body: { release: "v9", environment: "production", granted: true } });
    expect(promotion).toMatchObject({ type: "promotion", sealed: true, body: { release: "v9", version: "good-2", from: "branch main", to: "production" } });
  });

  it("counts approvals recorded with npm run approve for this release, and only for it", async () => {
    const trail = new AuditTrail({ file: trailFile });
    await trail.append({ type: "approval", body: { release: "v9", environment: "production", by: "ana", group: "senior-engineers" } });
    await trail.append({ type: "approval", body: { release: "v8", environment: "production", by: "bo", group: "security-team" } });
    const refuse = stages({});
    const scenario = pipelineFile(MAIN.replace("TRAIL", "true").replace("APPROVALS", "[]"), "  - id: g\n    gate: { environment: production, granted: false }");
    const refused = await runPipeline(scenario, options(), refuse.run);
    expect(refuse.calls).toEqual([]);
    const gate = refused.results.pipeline!.stages[0]!.gate!;
    expect(gate.counted.map((a) => [a.by, a.source])).toEqual([["ana", "trail"]]);
    expect(gate.refused).toEqual([]);
    expect(refused.results.pipeline).toMatchObject({ outcome: "failed", stoppedAt: "production", stages: [{ status: "refused" }] });

    await trail.append({ type: "approval", body: { release: "v9", environment: "production", by: "bo", group: "security-team" } });
    const grant = stages({});
    const granted = await runPipeline(pipelineFile(MAIN.replace("TRAIL", "true").replace("APPROVALS", "[]"), "  - id: g\n    gate: { environment: production, granted: true }"), options(), grant.run);
    expect(granted.verdict).toBe("passed");
    expect(grant.calls).toHaveLength(1);
  });

  it("does not count the trail with trail: false", async () => {
    const trail = new AuditTrail({ file: trailFile });
    for (const [by, group] of [["ana", "senior-engineers"], ["bo", "security-team"]]) await trail.append({ type: "approval", body: { release: "v9", by, group } });
    const s = stages({});
    const out = await runPipeline(pipelineFile(MAIN.replace("TRAIL", "false").replace("APPROVALS", "[]"), "  - id: g\n    gate: { environment: production, granted: false }"), options(), s.run);
    expect(s.calls).toEqual([]);
    expect(out.verdict).toBe("passed");
  });

  it("marks a rolled-back production as failed, with the rollback as the reason", async () => {
    const rollback = { trigger: "error_rate", source: "analysis", stage: "shift-10", reason: "error rate 26% breaches >5%", strategy: "immediate", detectedAfterSeconds: 1, completedAfterSeconds: 0.1 };
    const s = stages({ production: { verdict: "failed", rollback } });
    const scenario = pipelineFile(MAIN.replace("TRAIL", "false").replace("APPROVALS", "[{ by: ana, group: senior-engineers }, { by: bo, group: security-team }]"), "  - id: r\n    pipeline: { outcome: failed, stoppedAt: production, rolledBack: true }");
    const out = await runPipeline(scenario, options(), s.run);
    expect(out.verdict).toBe("passed");
    expect(out.results.pipeline!.stages[0]).toMatchObject({ status: "failed", rollback: { trigger: "error_rate", stage: "shift-10" }, reason: "rolled back during shift-10 by error_rate: error rate 26% breaches >5%; failed: promoted" });
  });

  it("an inconclusive stage makes an expectation it breaks inconclusive (exit 3), not failed", async () => {
    const s = stages({ development: { verdict: "inconclusive" } });
    const out = await runPipeline(pipelineFile("  branch: develop\n  release: v9\n  version: good-2", "  - id: ok\n    pipeline: { outcome: succeeded }"), options(), s.run);
    expect(out).toMatchObject({ verdict: "inconclusive", exitCode: ExitCode.inconclusive });
    expect(out.results.expectations[0]!.inconclusive).toMatch(/^the development stage was inconclusive/);
  });

  it("a wrong expectation fails the pipeline run with the evidence of what happened", async () => {
    const s = stages({});
    const out = await runPipeline(pipelineFile("  branch: develop\n  release: v9\n  version: good-2", "  - id: wrong\n    pipeline: { outcome: failed, stages: { staging: refused } }"), options(), s.run);
    expect(out).toMatchObject({ verdict: "failed", exitCode: ExitCode.expectationFailed });
    expect(out.results.expectations[0]!.evidence).toMatch(/^outcome succeeded, not failed; staging passed, not refused: outcome succeeded/);
  });
});
