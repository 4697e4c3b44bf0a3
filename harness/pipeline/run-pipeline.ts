import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { deploymentMetricsText } from "../audit/deployment-metrics.js";
import { judgeApprovals, recordedApprovals, type Approval, type GateDecision } from "../approvals/approvals.js";
import { AuditTrail } from "../audit/audit-trail.js";
import type { AuditRecord } from "../audit/chain.js";
import type { Judgement } from "../checker/checker.js";
import { systemClock, TimeScale } from "../common/clock.js";
import { HarnessError, asHarnessError, errorMessage } from "../common/errors.js";
import { newRunId } from "../common/labels.js";
import { ROOT } from "../common/paths.js";
import { KindSession } from "../platforms/kind/session.js";
import { harnessInfo } from "../report/harness-info.js";
import { RESULTS_SCHEMA_VERSION, type PipelineResults, type PipelineStageResult, type RunResults } from "../report/results.js";
import type { Scenario } from "../scenario/scenario.js";
import type { PipelineStageStatus, Sink, Verdict } from "../timeline/events.js";
import { Timeline } from "../timeline/timeline.js";
import { openRunFolder, writeRunFolder } from "../runner/run-folder.js";
import { defaultSeed, runOutcome, type RunOptions, type RunOutcome } from "../runner/run-scenario.js";
import { judgePipeline } from "./judge-pipeline.js";
import type { ListedApproval, PipelineSpec } from "../scenario/scenario.js";

type RunStage = (scenario: Scenario, options: RunOptions) => Promise<RunOutcome>;

/**
 * Runs a pipeline scenario as the document's deploy.yml runs the branch's
 * job: stage after stage, each a run of its own on one kind cluster (its
 * environment's overlay, its own database, its checks), with the approval
 * gate before production judged from the approvals listed in the file and
 * recorded in the audit trail. The first stage that does not pass stops the
 * promotion there. Each gate decision and each promotion is appended to the
 * audit trail (each stage's run appends its deployment and rollback). The
 * pipeline's own run folder holds its events, its report and, under
 * stages/, every stage's run folder.
 */
export async function runPipeline(scenario: Scenario & { pipeline: PipelineSpec }, options: RunOptions, runStage: RunStage): Promise<RunOutcome> {
  const p = scenario.pipeline;
  if (options.operator) throw new HarnessError("USAGE", `scenario ${scenario.name} is a pipeline: a live game day (--live) drives one run, and a pipeline is several`, { hint: "run the pipeline without --live, or one stage's scenario with it" });
  const clock = options.clock ?? systemClock;
  const scale = new TimeScale(options.timeScale ?? scenario.timeScale);
  const runId = newRunId(scenario.name);
  const folder = openRunFolder(options.runsDir ?? join(ROOT, "runs"), runId);
  const timeline = new Timeline({ clock, scale, file: folder.eventsFile });
  if (options.onEvent) timeline.onEvent(options.onEvent);
  const emit = timeline.emit;
  // One seed for every stage: the pipeline's (--seed, the file's, or one fixed per pipeline name), so --seed N replays them all.
  const seed = options.seed ?? scenario.seed ?? defaultSeed(scenario.name);
  emit({ type: "run.started", runId, scenario: scenario.name, platform: "kind", timeScale: scale.factor, seed, runDir: folder.dir });
  emit({ type: "pipeline.started", branch: p.branch, release: p.release, version: p.version, stages: p.stages.map((s) => ({ environment: s.environment, check: s.check, gate: s.gate !== undefined })) });

  const kind = options.kind ?? new KindSession({ keep: false });
  const trail = new AuditTrail();
  const appended: AuditRecord[] = [];
  const record = async (type: "gate" | "promotion", body: Record<string, unknown>) => {
    try {
      appended.push(await trail.append({ type, body: { pipeline: runId, ...body } }));
    } catch (e) {
      emit({ type: "note", level: "warn", message: `the ${type} record could not be appended to the audit trail ${trail.file}: ${errorMessage(e)}` });
    }
  };
  const stages: PipelineStageResult[] = [];
  let error: HarnessError | undefined;
  let previous = `branch ${p.branch}`;
  try {
    for (const stage of p.stages) {
      if (options.signal.aborted) throw new HarnessError("INTERRUPTED", "the pipeline was interrupted");
      emit({ type: "pipeline.stage.started", environment: stage.environment, check: stage.check, database: stage.database });
      const result: PipelineStageResult = { environment: stage.environment, check: stage.check, database: stage.database, status: "skipped", reason: "" };
      stages.push(result);
      if (stage.gate) {
        const decision = judgeGate(scenario, stage.environment, trail, new Date(clock.now()));
        result.gate = decision;
        emit({
          type: "pipeline.gate",
          environment: stage.environment,
          release: p.release,
          granted: decision.granted,
          reason: decision.reason,
          counted: decision.counted.map((a) => ({ by: a.by, group: a.group, at: a.at, source: a.source ?? "scenario" })),
          refused: decision.refused.map((r) => ({ by: r.approval.by, group: r.approval.group, at: r.approval.at, source: r.approval.source ?? "scenario", code: r.code, reason: r.reason })),
        });
        await record("gate", {
          release: p.release,
          version: p.version,
          environment: stage.environment,
          granted: decision.granted,
          reason: decision.reason,
          counted: decision.counted,
          refused: decision.refused.map((r) => ({ ...r.approval, code: r.code, reason: r.reason })),
        });
        if (!decision.granted) {
          finishStage(result, "refused", `refused at the approval gate: ${decision.reason}`, emit);
          break;
        }
      }
      const outcome = await runStage(stage.scenario, {
        ...options,
        platform: "kind",
        kind,
        runsDir: join(folder.dir, "stages"),
        seed,
      });
      const r = outcome.results;
      result.run = { runId: r.runId, dir: relative(folder.dir, outcome.runDir), verdict: r.verdict, exitCode: r.exitCode, wallSeconds: r.wallSeconds };
      if (r.rollback) result.rollback = { trigger: r.rollback.trigger, stage: r.rollback.stage, reason: r.rollback.reason };
      finishStage(result, stageStatus(r.verdict), stageReason(r), emit);
      if (result.status !== "passed") break;
      emit({ type: "pipeline.promoted", release: p.release, version: p.version, to: stage.environment });
      await record("promotion", { run: r.runId, release: p.release, version: p.version, from: previous, to: stage.environment });
      previous = stage.environment;
    }
  } catch (e) {
    error = options.signal.aborted ? new HarnessError("INTERRUPTED", "the pipeline was interrupted; everything its stages started is being removed") : asHarnessError(e);
    emit({ type: "note", level: "warn", message: `${error.code}: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ""}` });
  } finally {
    if (!options.kind) await kind.close().catch((e: unknown) => emit({ type: "note", level: "warn", message: `deleting the kind cluster failed: ${errorMessage(e)}` }));
  }
  for (const s of p.stages.slice(stages.length)) stages.push({ environment: s.environment, check: s.check, database: s.database, status: "skipped", reason: "an earlier stage stopped the promotion" });

  const stopped = stages.find((s) => s.status !== "passed");
  const interrupted = error?.code === "INTERRUPTED" || stopped?.run?.verdict === "interrupted";
  const pipeline: PipelineResults = {
    branch: p.branch,
    release: p.release,
    version: p.version,
    production: p.production ?? null,
    outcome: interrupted ? "interrupted" : stopped || error ? "failed" : "succeeded",
    stoppedAt: stopped?.environment ?? null,
    reason: error ? `${error.code}: ${error.message}` : stopped ? `${stopped.environment} ${stopped.status}: ${stopped.reason}` : `release ${p.release} promoted to ${p.stages.map((s) => s.environment).join(", then ")}`,
    stages,
  };
  emit({ type: "pipeline.finished", outcome: pipeline.outcome, ...(pipeline.stoppedAt ? { stoppedAt: pipeline.stoppedAt } : {}), reason: pipeline.reason });

  const judgements: Judgement[] = [];
  if (!interrupted && !error) {
    for (const e of p.expectations) {
      const j = judgePipeline(e, pipeline);
      judgements.push(j);
      emit({ type: "expectation.judged", id: j.id, description: j.description, held: j.held, evidence: j.evidence, ...(j.inconclusive ? { inconclusive: j.inconclusive } : {}) });
    }
  }
  const { verdict, exitCode } = runOutcome(judgements, interrupted ? (error ?? new HarnessError("INTERRUPTED", `the ${stopped!.environment} stage was interrupted`)) : error, options.inconclusive);
  const wallSeconds = timeline.elapsedSeconds();
  emit({ type: "run.finished", verdict, exitCode, wallSeconds });
  const last = appended.at(-1);
  const results: RunResults = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId,
    scenario: scenario.name,
    file: scenario.file,
    platform: "kind",
    versions: Object.fromEntries([...scenario.versions.values()].map((v) => [v.role, v.tag])),
    verdict,
    exitCode,
    timeScale: scale.factor,
    seed,
    strategy: null,
    startedAt: timeline.events[0]!.at,
    wallSeconds,
    specSeconds: scale.toSpecMs(wallSeconds * 1000) / 1000,
    expectations: judgements,
    rollback: null,
    load: [],
    error: error && !interrupted ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } : null,
    teardownFailures: [],
    harness: harnessInfo(),
    audit: { file: trail.file, records: appended.map((r) => r.seq), ...(last ? { head: { seq: last.seq, chain: last.chain } } : {}) },
    pipeline,
  };
  try {
    writeFileSync(join(folder.dir, "metrics.prom"), deploymentMetricsText(trail.read()));
  } catch (e) {
    emit({ type: "note", level: "warn", message: `the deployment metrics could not be written: ${errorMessage(e)}` });
  }
  writeRunFolder(folder, results, timeline.events);
  return { verdict, exitCode, runDir: folder.dir, results };
}

/**
 * The gate as approval-matrix.yml has it, at the moment the deployment
 * starts: the approvals listed in the file (each at its offset from now)
 * and, unless the file says trail: false, those recorded for this release
 * in the audit trail (`npm run approve`).
 */
function judgeGate(scenario: Scenario & { pipeline: PipelineSpec }, environment: string, trail: AuditTrail, now: Date): GateDecision {
  const p = scenario.pipeline;
  const listed = p.approvals.map((a) => listedApproval(a, p.release, now));
  const recorded = p.trailApprovals ? recordedApprovals(trail.read()).filter((a) => a.release === p.release) : [];
  return judgeApprovals(scenario.spec.approvals.get(environment), { environment, release: p.release, deploymentStartedAt: now, approvals: [...listed, ...recorded] });
}

function listedApproval(a: ListedApproval, release: string, now: Date): Approval {
  return {
    release: a.release ?? release,
    by: a.by,
    group: a.group,
    at: new Date(now.getTime() + a.atOffsetMs).toISOString(),
    ...(a.comment ? { comment: a.comment } : {}),
    ...(a.environment ? { environment: a.environment } : {}),
    source: "scenario",
  };
}

function finishStage(result: PipelineStageResult, status: PipelineStageStatus, reason: string, emit: Sink): void {
  result.status = status;
  result.reason = reason;
  emit({ type: "pipeline.stage.finished", environment: result.environment, status, reason, ...(result.run ? { runId: result.run.runId, runDir: result.run.dir } : {}) });
}

function stageStatus(verdict: Verdict): PipelineStageStatus {
  return verdict === "passed" ? "passed" : verdict === "failed" ? "failed" : verdict === "inconclusive" ? "inconclusive" : "error";
}

/** Why a stage's run ended as it did, for the pipeline's report: its error, its rollback, or its failed checks. */
function stageReason(r: RunResults): string {
  if (r.error) return `${r.error.code}: ${r.error.message}`;
  const failed = r.expectations.filter((e) => !e.held);
  const rollback = r.rollback ? `rolled back during ${r.rollback.stage} by ${r.rollback.trigger}: ${r.rollback.reason}` : "";
  // After a rollback the failed checks say the rollback again: their ids are enough.
  const checks = r.rollback ? (failed.length ? [`failed: ${failed.map((e) => e.id).join(", ")}`] : []) : failed.map((e) => `${e.id} ${e.inconclusive ? "inconclusive" : "failed"}: ${e.evidence}`);
  if (r.verdict === "passed") return `every check held (${r.expectations.map((e) => e.id).join(", ")})`;
  return [rollback, ...checks].filter(Boolean).join("; ") || r.verdict;
}
