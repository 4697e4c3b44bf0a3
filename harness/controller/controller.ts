import type { Analysis, Measurement } from "../analysis/analysis.js";
import { requestsToTell } from "../analysis/sample-size.js";
import type { DecisionPolicy, LatencyStatistic, StrategyName } from "../model/strategy.js";
import { waitFor, type Clock, type TimeScale } from "../common/clock.js";
import { errorMessage } from "../common/errors.js";
import type { Service } from "../platforms/platform.js";
import { httpGet } from "../probes/http-probe.js";
import type { Router } from "../traffic/router.js";
import type { Sink } from "../timeline/events.js";
import { decideHealth, judgeWindow, type Decision, type RollbackTriggers, type WindowVerdict } from "./decide.js";
import type { Stage } from "../document/stages.js";
import type { Comparison } from "../document/comparison.js";

export interface ControllerOptions {
  strategy: StrategyName;
  stages: readonly Stage[];
  triggers: RollbackTriggers;
  rollbackStrategy: "immediate" | "gradual";
  stable: Service;
  candidate: Service;
  router: Router;
  analysis: Analysis;
  healthPath: string;
  /** Blue-green: the candidate must pass its health check within this spec time before any traffic moves. */
  healthCheckTimeoutMs?: number;
  /** Wall milliseconds between two analyses and between health checks. */
  intervalMs: number;
  /** Wall milliseconds of metrics each analysis looks at. */
  windowMs: number;
  minRequests: number;
  scale: TimeScale;
  clock: Clock;
  emit: Sink;
  signal: AbortSignal;
  /** How the candidate's health endpoint is asked; the real HTTP GET unless a test puts in a fake. */
  healthProbe?: HealthProbe;
  /**
   * Analyses in a row that may fail (a Prometheus query erroring) before the
   * strategy gives up and rolls back; a successful one resets the count.
   * Argo Rollouts' consecutiveErrorLimit, with its default of 4.
   */
  consecutiveErrorLimit?: number;
  /** How a window's figures meet the thresholds (literal by default: what the document says). */
  policy?: DecisionPolicy;
  /**
   * Why the machine running the harness was saturated during [fromMs, toMs] (wall), or undefined when it was
   * not. A breach in such a window is not acted on (the harness may have caused it): the stage keeps
   * observing, and ends inconclusive if the machine stays saturated.
   */
  saturation?: (fromMs: number, toMs: number) => string | undefined;
}

/** Asks one health URL; never throws for an unhealthy answer (null status: no answer, with the error). */
export type HealthProbe = (url: string) => Promise<{ status: number | null; error?: string }>;

/** The health probe of a real run: one HTTP GET with a 2 s timeout. */
export const httpHealthProbe: HealthProbe = (url) => httpGet(url, { timeoutMs: 2000 });

/** Argo Rollouts' default consecutiveErrorLimit. */
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;

export interface StrategyOutcome {
  result: "promoted" | "rolled-back" | "inconclusive";
  rollback?: Decision & { stage: string; decidedAt: number; completedAt: number };
  /** The stage that could not be judged, and why: the promotion stopped there (`saturated`: because the machine was). */
  inconclusive?: { stage: string; reason: string; saturated?: true };
}

/**
 * A stage that ends without the evidence to pass it (no window held
 * minRequests; under `significant`, its last judged window undecided) is
 * observed for up to this many times its own length more, then called
 * inconclusive: the promotion stops and traffic goes back to stable, as an
 * Argo Rollouts analysis run that ends Inconclusive pauses the rollout
 * instead of promoting it.
 */
export const INCONCLUSIVE_EXTENSION = 1;

/**
 * Under `significant`, an undecided stage is observed until it holds the
 * requests its error-rate thresholds need (`requestsToTell`: enough to tell
 * a candidate at twice a threshold, or at half of it, in 19 tries of 20), at
 * the candidate's observed rate: at least INCONCLUSIVE_EXTENSION and at most
 * this many times the stage's own length.
 */
export const MAX_SIGNIFICANT_EXTENSION = 20;

/** Number of steps a gradual rollback takes, one analysis interval apart. */
export const GRADUAL_STEPS = 4;

/**
 * Performs a strategy: shifts traffic stage by stage, analyses the candidate
 * on an interval, checks its health, and rolls back when a trigger fires or a
 * stage's success criteria fail. This is the thing under test; the checker
 * judges what it did from independent evidence.
 */
export async function runStrategy(o: ControllerOptions): Promise<StrategyOutcome> {
  const { emit, clock, scale, signal } = o;
  const roles = { stable: o.stable.role, candidate: o.candidate.role };
  emit({
    type: "strategy.started",
    strategy: o.strategy,
    stages: o.stages.map((s) => ({
      name: s.name,
      percentage: s.percentage,
      specSeconds: s.durationMs / 1000,
      wallSeconds: scale.toWallMs(s.durationMs) / 1000,
      criteria: { ...(s.criteria.errorRate ? { errorRate: s.criteria.errorRate.text } : {}), ...(s.criteria.responseTime ? { responseTime: s.criteria.responseTime.text } : {}) },
    })),
    triggers: { errorRate: o.triggers.errorRate.text, responseTime: o.triggers.responseTime.text, healthCheckFailures: o.triggers.healthCheckFailures },
    intervalSeconds: o.intervalMs / 1000,
    windowSeconds: o.windowMs / 1000,
    rollbackStrategy: o.rollbackStrategy,
  });
  const health = new HealthCounter(o.candidate, o.healthPath, emit, o.healthProbe ?? httpHealthProbe);
  const errorLimit = o.consecutiveErrorLimit ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT;
  let consecutiveErrors = 0;

  if (o.healthCheckTimeoutMs !== undefined) {
    const timeout = scale.toWallMs(o.healthCheckTimeoutMs);
    try {
      await waitFor(async () => ((await health.check()) === 0 ? true : undefined), {
        description: `${o.candidate.role} to pass ${o.healthPath}`,
        timeoutMs: timeout,
        intervalMs: o.intervalMs,
        clock,
        signal,
      });
    } catch (e) {
      signal.throwIfAborted();
      const decision: Decision = {
        trigger: "health_check_failures",
        source: "rollback-trigger",
        reason: `${o.candidate.role} did not pass ${o.healthPath} within the health check timeout (${o.healthCheckTimeoutMs / 1000}s spec time)`,
        observed: health.consecutive,
        threshold: `timeout ${o.healthCheckTimeoutMs / 1000}s`,
      };
      return rollBack(o, "pre-shift", decision, 0);
    }
  }

  for (const stage of o.stages) {
    signal.throwIfAborted();
    await o.router.setShares({ [roles.stable]: 100 - stage.percentage, [roles.candidate]: stage.percentage });
    emit({ type: "stage.started", stage: stage.name, percentage: stage.percentage });
    if (stage.durationMs === 0) continue;
    const stageWall = scale.toWallMs(stage.durationMs);
    const stageStart = clock.now();
    const stageEnd = stageStart + stageWall;
    const policy = o.policy ?? "literal";
    let succeeded = 0;
    let passes = 0;
    let mostRequests = 0;
    let last: WindowVerdict | undefined;
    let lastError = "";
    /** The candidate's requests per wall ms in the last window measured. */
    let requestRate = 0;
    let extension: Extension | undefined;
    for (;;) {
      const now = clock.now();
      // Literal: some window was judged and passed. Significant: the last judged window passed, all of its intervals within.
      // Either way, not while the last judged window is a breach the machine's saturation leaves unexplained.
      const passed = (policy === "literal" ? passes > 0 : last?.kind === "pass") && last?.kind !== "saturated";
      if (now >= stageEnd && passed) break;
      if (now >= stageEnd) {
        // A stage whose every analysis failed showed nothing about the candidate: it is not passed on silence.
        if (succeeded === 0 && consecutiveErrors > 0) {
          return rollBack(o, stage.name, analysisErrors(`no analysis of ${stage.name} succeeded (${consecutiveErrors} in a row failed, under the limit of ${errorLimit})`, consecutiveErrors, errorLimit, lastError), stage.percentage);
        }
        const why = unpassed(stage.name, policy, last, mostRequests, o.minRequests);
        if (extension && now >= stageEnd + extension.ms) {
          const held = extension.needed ? `; it held ${Math.round(mostRequests)} of the candidate's requests, ${extension.needed} being what tells a candidate at twice or half its error-rate threshold` : "";
          return stopInconclusive(o, stage.name, `${why}, in ${+(1 + extension.ms / stageWall).toFixed(1)} times its duration${held}`, last?.kind === "saturated");
        }
        if (!extension) {
          extension = extensionFor(policy, stage, o.triggers, stageWall, requestRate, now - stageStart);
          emit({ type: "stage.extended", stage: stage.name, reason: why, extraSeconds: extension.ms / 1000, ...(extension.needed ? { requestsNeeded: extension.needed } : {}) });
        }
      }
      const until = extension ? stageEnd + extension.ms : stageEnd;
      await clock.sleep(Math.min(o.intervalMs, Math.max(0, until - now)), signal);
      // The window never reaches back before this stage's traffic began. Under `significant`, a stage extended for
      // want of evidence looks at all of its traffic so far: the evidence accumulates instead of sliding away.
      const sinceStart = clock.now() - stageStart;
      const window = policy === "significant" && extension ? Math.max(o.intervalMs, sinceStart) : Math.min(o.windowMs, Math.max(o.intervalMs, sinceStart));
      // Health is checked whatever becomes of the metrics query: a failed query must not hide failing health checks.
      const [measured, failures] = await Promise.all([measure(o, window, stage), health.check()]);
      signal.throwIfAborted();
      if (!measured.ok) {
        consecutiveErrors++;
        lastError = measured.error;
        emit({ type: "analysis.failed", stage: stage.name, version: o.candidate.version, error: measured.error, consecutiveErrors, limit: errorLimit });
        const decision =
          decideHealth(failures, o.triggers) ??
          (consecutiveErrors >= errorLimit ? analysisErrors(`${consecutiveErrors} analyses in a row failed, reaching the limit of ${errorLimit}`, consecutiveErrors, errorLimit, measured.error) : undefined);
        if (decision) return rollBack(o, stage.name, decision, stage.percentage);
        // Retried at the next interval, as Argo Rollouts does.
        continue;
      }
      consecutiveErrors = 0;
      succeeded++;
      const m = measured.m;
      const judged = judgeWindow(m, failures, o.triggers, stage, o.minRequests, policy);
      const saturated = judged.kind === "breach" ? o.saturation?.(clock.now() - window, clock.now()) : undefined;
      const verdict: WindowVerdict = judged.kind === "breach" && saturated ? { kind: "saturated", reason: `${judged.decision.reason}, while ${saturated}` } : judged;
      mostRequests = Math.max(mostRequests, m.requests);
      requestRate = m.requests / window;
      emit({
        type: "analysis.evaluated",
        stage: stage.name,
        version: o.candidate.version,
        requests: Math.round(m.requests),
        errorRate: m.errorRate ?? null,
        latencyMs: m.latencyMs ?? null,
        statistic: m.latencyStatistic,
        healthFailures: failures,
        windowSeconds: window / 1000,
        verdict: verdict.kind,
        ...("reason" in verdict ? { why: verdict.reason } : {}),
        ...(m.intervals?.errorRate ? { errorRateInterval: [...m.intervals.errorRate] } : {}),
        ...(m.intervals?.latencies?.[m.latencyStatistic] ? { latencyInterval: [...m.intervals.latencies[m.latencyStatistic]!] } : {}),
      });
      if (verdict.kind === "breach") return rollBack(o, stage.name, verdict.decision, stage.percentage);
      if (verdict.kind === "pass") passes++;
      if (verdict.kind !== "unjudged") last = verdict;
    }
  }
  emit({ type: "strategy.finished", result: "promoted" });
  return { result: "promoted" };
}

/** How long past its end an unpassed stage is observed (wall ms), and under `significant` the requests it aims to hold. */
interface Extension {
  ms: number;
  needed?: number;
}

/**
 * The requests a stage must hold to tell its error-rate thresholds (the
 * trigger's and its criterion's): those of the smallest, which needs the
 * most; undefined for a stage with none strictly between 0% and 100%.
 */
export function requestsToTellStage(stage: Stage, trigger: Comparison): { needed: number; threshold: Comparison } | undefined {
  const thresholds = [trigger, stage.criteria.errorRate].filter((c) => c !== undefined).filter((c) => c.value > 0 && c.value < 1);
  if (thresholds.length === 0) return undefined;
  const threshold = thresholds.reduce((a, b) => (b.value < a.value ? b : a));
  return { needed: requestsToTell(threshold.value), threshold };
}

function extensionFor(policy: DecisionPolicy, stage: Stage, triggers: RollbackTriggers, stageWall: number, requestRate: number, elapsed: number): Extension {
  const least = INCONCLUSIVE_EXTENSION * stageWall;
  if (policy !== "significant") return { ms: least };
  const told = requestsToTellStage(stage, triggers.errorRate);
  if (!told || !(requestRate > 0)) return { ms: least };
  return { ms: Math.min(MAX_SIGNIFICANT_EXTENSION * stageWall, Math.max(least, told.needed / requestRate - elapsed)), needed: told.needed };
}

/** Why a stage has not passed at its end: what its windows held. */
function unpassed(stage: string, policy: DecisionPolicy, last: WindowVerdict | undefined, mostRequests: number, minRequests: number): string {
  if (last?.kind === "undecided") return `the last judged window of ${stage} was undecided (${last.reason})`;
  if (last?.kind === "saturated") return `the last judged window of ${stage} was taken on a saturated machine (${last.reason})`;
  return `no analysis window of ${stage} held minRequests (${minRequests}) of the candidate's requests (at most ${Math.round(mostRequests)})${policy === "significant" ? " with every figure's interval clear of its threshold" : ""}`;
}

/** The promotion stops at a stage that could not be judged: traffic back to stable, and the run says why. */
async function stopInconclusive(o: ControllerOptions, stage: string, reason: string, saturated: boolean): Promise<StrategyOutcome> {
  o.emit({ type: "stage.inconclusive", stage, reason });
  await o.router.setShares({ [o.stable.role]: 100, [o.candidate.role]: 0 });
  o.emit({ type: "strategy.finished", result: "inconclusive" });
  return { result: "inconclusive", inconclusive: { stage, reason, ...(saturated ? { saturated: true as const } : {}) } };
}

/** One analysis; a query that fails is a result too (counted, not the end of the run). */
async function measure(o: ControllerOptions, windowMs: number, stage: Stage): Promise<{ ok: true; m: Measurement } | { ok: false; error: string }> {
  try {
    return { ok: true, m: await o.analysis.measure(o.candidate.version, windowMs, namedStatistics(o, stage)) };
  } catch (e) {
    return { ok: false, error: errorMessage(e) };
  }
}

/**
 * Too many failed analyses in a row: the candidate cannot be judged, so it is
 * rolled back (the safe side), as Argo Rollouts ends an analysis run in Error.
 */
function analysisErrors(what: string, count: number, limit: number, lastError: string): Decision {
  return {
    trigger: "analysis_errors",
    source: "analysis-errors",
    reason: `${what} (last error: ${lastError}); the candidate cannot be judged`,
    observed: count,
    threshold: `>=${limit}`,
  };
}

/** Latency statistics the trigger and the stage's criterion name for themselves ("p99<500ms"). */
function namedStatistics(o: ControllerOptions, stage: Stage): LatencyStatistic[] {
  return [o.triggers.responseTime.statistic, stage.criteria.responseTime?.statistic].filter((s): s is LatencyStatistic => s !== undefined);
}

async function rollBack(o: ControllerOptions, stage: string, decision: Decision, from: number): Promise<StrategyOutcome> {
  const decidedAt = o.clock.now();
  o.emit({ type: "rollback.decided", stage, strategy: o.rollbackStrategy, ...decision });
  const roles = { stable: o.stable.role, candidate: o.candidate.role };
  if (o.rollbackStrategy === "gradual" && from > 0) {
    for (let i = GRADUAL_STEPS - 1; i >= 1; i--) {
      const share = Math.round((from * i) / GRADUAL_STEPS);
      await o.router.setShares({ [roles.stable]: 100 - share, [roles.candidate]: share });
      o.emit({ type: "rollback.step", candidatePercentage: share });
      await o.clock.sleep(o.intervalMs, o.signal);
    }
  }
  await o.router.setShares({ [roles.stable]: 100, [roles.candidate]: 0 });
  const completedAt = o.clock.now();
  o.emit({ type: "rollback.completed", stage, trigger: decision.trigger, seconds: (completedAt - decidedAt) / 1000 });
  o.emit({ type: "strategy.finished", result: "rolled-back" });
  return { result: "rolled-back", rollback: { ...decision, stage, decidedAt, completedAt } };
}

/** Polls the candidate's health endpoint on every instance; counts consecutive failures (the worst instance's). */
class HealthCounter {
  private readonly streak = new Map<string, number>();

  constructor(
    private readonly service: Service,
    private readonly path: string,
    private readonly emit: Sink,
    private readonly probe: HealthProbe,
  ) {}

  get consecutive(): number {
    return Math.max(0, ...this.streak.values());
  }

  async check(): Promise<number> {
    await Promise.all(
      this.service.instances.map(async (i) => {
        // A probe that throws is a failed check, not the end of the run.
        const o = await this.probe(`${i.baseUrl}${this.path}`).catch((e: unknown) => ({ status: null, error: errorMessage(e) }));
        const ok = o.status === 200;
        this.streak.set(i.name, ok ? 0 : (this.streak.get(i.name) ?? 0) + 1);
        this.emit({ type: "health.checked", target: `${this.service.role}/${i.name}`, path: this.path, status: o.status, consecutiveFailures: this.streak.get(i.name)!, ...(o.error ? { error: o.error } : {}) });
      }),
    );
    return this.consecutive;
  }
}
