// lane: kind (scripts/test.sh runs the kind files one after another, beside the Docker lane)
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunResults } from "../../harness/report/results.js";
import { NewKindClusters } from "../support/kind-clusters.js";
import { cli, evidenceDirs, leftBy, passedRun, readEvents, type CliResult, type RunEvent } from "./cli.js";

// The document's pipeline end to end on a real kind cluster, through the CLI: the four shipped
// pipeline scenarios and one whose gate counts approvals recorded with `npm run approve`, in one
// invocation (one cluster, deleted at the end), with an audit trail of their own.
const SHIPPED = ["pipeline-develop", "pipeline-main-approved", "pipeline-main-unapproved", "pipeline-rollback"];

const clusters = new NewKindClusters();

let env: { GAMEDAY_AUDIT_LOG: string };
let run: CliResult;
const runs = new Map<string, { results: RunResults; runDir: string }>();
const approvals: CliResult[] = [];

beforeAll(async () => {
  await clusters.remember();
  const dir = mkdtempSync(join(tmpdir(), "gameday-e2e-pipeline-"));
  env = { GAMEDAY_AUDIT_LOG: join(dir, "trail.jsonl") };
  // A game day's approvals, recorded before the deployment starts: two that count, one from outside the groups.
  for (const [by, group] of [["ana", "senior-engineers"], ["eve", "interns"], ["bo", "security-team"]]) approvals.push(await cli(["approve", "v3.1.0", "--as", by!, "--group", group!], { env }));
  const recorded = join(dir, "pipeline-recorded-approvals.yaml");
  writeFileSync(
    recorded,
    `name: pipeline-recorded-approvals
description: release v3.1.0 approved with npm run approve, not in the file
pipeline: { branch: main, release: v3.1.0, version: good-2, production: good-1 }
expect:
  - id: gate-opens-from-the-trail
    gate: { environment: production, granted: true, refusals: [outside-groups] }
  - id: released
    pipeline: { outcome: succeeded, stages: { production: passed } }
`,
  );
  run = await cli(["scenario", ...SHIPPED, recorded], { env });
  for (const runDir of evidenceDirs(run.stdout)) {
    const results = JSON.parse(readFileSync(join(runDir, "results.json"), "utf8")) as RunResults;
    runs.set(results.scenario, { results, runDir });
  }
}, 20 * 60_000);

// Whatever happened, leave no cluster of this test behind.
afterAll(() => clusters.removeNew(), 120_000);

function pipeline(name: string) {
  const r = passedRun(runs, name, run);
  return { ...r, pipeline: r.results.pipeline! };
}

/** A stage's own run: its results and events, from its folder under the pipeline's. */
function stageRun(runDir: string, dir: string): { results: RunResults; events: RunEvent[] } {
  return { results: JSON.parse(readFileSync(join(runDir, dir, "results.json"), "utf8")) as RunResults, events: readEvents(join(runDir, dir)) };
}

describe("the document's pipeline on kind, through the CLI", () => {
  it("runs every pipeline in one invocation that exits 0 and leaves no cluster, container or network", async () => {
    expect(approvals.map((a) => a.code)).toEqual([0, 0, 0]);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    expect([...runs.keys()].sort()).toEqual([...SHIPPED, "pipeline-recorded-approvals"].sort());
    expect(await clusters.new()).toEqual([]);
    expect(await leftBy(run.pid)).toEqual({ containers: 0, networks: 0 });
  });

  it("develop: development's smoke tests and staging's integration tests pass, each on its overlay and its own database", () => {
    const { pipeline: p, runDir } = pipeline("pipeline-develop");
    expect(p.stages.map((s) => [s.environment, s.check, s.status])).toEqual([
      ["development", "smoke", "passed"],
      ["staging", "integration", "passed"],
    ]);
    for (const [stage, database] of [[p.stages[0]!, "agi_eval_dev"], [p.stages[1]!, "agi_eval_staging"]] as const) {
      const { results, events } = stageRun(runDir, stage.run!.dir);
      expect(results).toMatchObject({ verdict: "passed", platform: "kind" });
      expect(events.filter((e) => e.type === "database.ready").map((e) => e.database)).toEqual([database]);
      // The environment's overlay was applied, and its Deployment matches the document.
      expect(events.some((e) => e.type === "deployment.observed" && e.source === `k8s/environments/${stage.environment}`)).toBe(true);
      expect(results.expectations.find((e) => e.id === "deployment-matches-document")?.held).toBe(true);
    }
    const staging = stageRun(runDir, p.stages[1]!.run!.dir).results;
    expect(staging.load[0]!.thresholds.map((t) => [t.expression, t.pass])).toEqual([
      ["rate<0.01", true],
      ["p(95)<500", true],
    ]);
    const report = readFileSync(join(runDir, "report.html"), "utf8");
    expect(report).toContain("<h2>Pipeline</h2>");
    expect(report).toContain(`<a href="${p.stages[0]!.run!.dir}/report.html">`);
  });

  it("main, approved: the gate counts two approvals, and production moves to the release by blue-green on agi_eval_prod", () => {
    const { pipeline: p, runDir } = pipeline("pipeline-main-approved");
    const production = p.stages[0]!;
    expect(production).toMatchObject({ environment: "production", status: "passed", gate: { granted: true } });
    expect(production.gate!.counted.map((a) => a.by).sort()).toEqual(["ana", "bo"]);
    const { results, events } = stageRun(runDir, production.run!.dir);
    expect(results.strategy).toEqual({ result: "promoted" });
    expect(events.filter((e) => e.type === "database.ready").map((e) => e.database)).toEqual(["agi_eval_prod"]);
  });

  it("main, unapproved: the gate refuses for each reason, and production is not touched", () => {
    const { pipeline: p, runDir } = pipeline("pipeline-main-unapproved");
    const gate = p.stages[0]!.gate!;
    expect(gate.granted).toBe(false);
    expect(gate.refused.map((r) => r.code).sort()).toEqual(["after-start", "other-release", "outside-groups", "same-person"]);
    expect(p.stages[0]!.run).toBeUndefined();
    expect(existsSync(join(runDir, "stages"))).toBe(false);
    const events = readEvents(runDir);
    expect(events.filter((e) => e.type === "pipeline.gate").map((e) => e.granted)).toEqual([false]);
  });

  it("rollback: production's blue-green rolls the release back on its error rate, and the pipeline is marked failed there", () => {
    const { pipeline: p, runDir } = pipeline("pipeline-rollback");
    expect(p).toMatchObject({ outcome: "failed", stoppedAt: "production" });
    expect(p.stages[0]).toMatchObject({ status: "failed", rollback: { trigger: "error_rate" } });
    expect(stageRun(runDir, p.stages[0]!.run!.dir).results.rollback).toMatchObject({ trigger: "error_rate" });
  });

  it("a game day's approvals recorded with npm run approve open the gate; the trail holds every gate, promotion, deployment and rollback, and verifies", async () => {
    const { pipeline: p } = pipeline("pipeline-recorded-approvals");
    expect(p.stages[0]!.gate!.counted.map((a) => [a.by, a.source])).toEqual([
      ["ana", "trail"],
      ["bo", "trail"],
    ]);
    const shown = await cli(["audit", "show", "-o", "json"], { env });
    const records = JSON.parse(shown.stdout) as Array<{ type: string; body: Record<string, unknown> }>;
    const of = (type: string) => records.filter((r) => r.type === type);
    expect(of("approval")).toHaveLength(3);
    expect(of("gate").map((r) => [r.body.release, r.body.granted])).toEqual([
      ["v2.5.0", true],
      ["v2.6.0", false],
      ["v2.7.0", true],
      ["v3.1.0", true],
    ]);
    expect(of("promotion").map((r) => [r.body.release, r.body.from, r.body.to])).toEqual([
      ["v2.5.0", "branch develop", "development"],
      ["v2.5.0", "development", "staging"],
      ["v2.5.0", "branch main", "production"],
      ["v3.1.0", "branch main", "production"],
    ]);
    expect(of("deployment").map((r) => [r.body.environment, r.body.outcome])).toEqual([
      ["development", "deployed"],
      ["staging", "deployed"],
      ["production", "promoted"],
      ["production", "rolled-back"],
      ["production", "promoted"],
    ]);
    expect(of("rollback").map((r) => [r.body.environment, r.body.reason])).toEqual([["production", "error_rate"]]);
    const verified = await cli(["audit", "verify"], { env });
    expect(verified.code, verified.stdout).toBe(0);
  });
});
