import type { Analysis } from "../analysis/analysis.js";
import type { LatencyStatistic, StrategyName } from "../model/strategy.js";
import { waitFor, type Clock, type TimeScale } from "../common/clock.js";
import type { Service } from "../platforms/platform.js";
import { httpGet } from "../probes/http-probe.js";
import type { Router } from "../traffic/router.js";
import type { Sink } from "../timeline/events.js";
import { decide, type Decision, type RollbackTriggers } from "./decide.js";
import type { Stage } from "../document/stages.js";

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
}

export interface StrategyOutcome {
  result: "promoted" | "rolled-back";
  rollback?: Decision & { stage: string; decidedAt: number; completedAt: number };
}

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
    stages: o.stages.map((s) => ({ name: s.name, percentage: s.percentage, specSeconds: s.durationMs / 1000, wallSeconds: scale.toWallMs(s.durationMs) / 1000 })),
    intervalSeconds: o.intervalMs / 1000,
    windowSeconds: o.windowMs / 1000,
    rollbackStrategy: o.rollbackStrategy,
  });
  const health = new HealthCounter(o.candidate, o.healthPath, emit);

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
    const stageEnd = clock.now() + scale.toWallMs(stage.durationMs);
    const stageStart = clock.now();
    while (clock.now() < stageEnd) {
      await clock.sleep(Math.min(o.intervalMs, Math.max(0, stageEnd - clock.now())), signal);
      // The window never reaches back before this stage's traffic began.
      const window = Math.min(o.windowMs, Math.max(o.intervalMs, clock.now() - stageStart));
      const [m, failures] = await Promise.all([o.analysis.measure(o.candidate.version, window, namedStatistics(o, stage)), health.check()]);
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
      });
      const decision = decide(m, failures, o.triggers, stage, o.minRequests);
      if (decision) return rollBack(o, stage.name, decision, stage.percentage);
    }
  }
  emit({ type: "strategy.finished", result: "promoted" });
  return { result: "promoted" };
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
  ) {}

  get consecutive(): number {
    return Math.max(0, ...this.streak.values());
  }

  async check(): Promise<number> {
    await Promise.all(
      this.service.instances.map(async (i) => {
        const o = await httpGet(`${i.baseUrl}${this.path}`, { timeoutMs: 2000 });
        const ok = o.status === 200;
        this.streak.set(i.name, ok ? 0 : (this.streak.get(i.name) ?? 0) + 1);
        this.emit({ type: "health.checked", target: `${this.service.role}/${i.name}`, path: this.path, status: o.status, consecutiveFailures: this.streak.get(i.name)!, ...(o.error ? { error: o.error } : {}) });
      }),
    );
    return this.consecutive;
  }
}
