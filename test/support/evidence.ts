import type { collectEvidence, judge } from "../../harness/checker/checker.js";
import type { LoadThresholdOutcome, SecondStats } from "../../harness/model/load-events.js";
import type { EventOf, Stamped, TimelineEvent } from "../../harness/timeline/events.js";

/**
 * Evidence for the checker's judges, built from typed timeline events. Times
 * are wall seconds since the run started (the `t` of a stamped event); spec
 * time is the same unless a test says otherwise.
 */
export type Evidence = Parameters<typeof judge>[1];

export const RUN_START = Date.parse("2026-11-26T17:15:00.000Z");
/** The versions a strategy run puts in its roles. */
export const STABLE = "good-1";
export const CANDIDATE = "erroring-1";

export function stamp<E extends TimelineEvent>(t: number, event: E): Stamped<E> {
  return { ...event, t, specT: t, at: new Date(RUN_START + t * 1000).toISOString() };
}

export const stageStarted = (t: number, stage: string, percentage: number) => stamp(t, { type: "stage.started", stage, percentage });

export function analysisEvaluated(t: number, stage: string, over: Partial<EventOf<"analysis.evaluated">> = {}) {
  return stamp(t, {
    type: "analysis.evaluated",
    stage,
    version: CANDIDATE,
    requests: 200,
    errorRate: 0,
    latencyMs: 120,
    statistic: "p95",
    healthFailures: 0,
    windowSeconds: 2,
    ...over,
  });
}

/** The decision as the controller emits it; `threshold` and `source` follow the trigger unless given. */
export function rollbackDecided(t: number, over: Partial<EventOf<"rollback.decided">> & { stage: string; trigger: string }) {
  const defaults: Record<string, { threshold: string; observed: number; reason: string }> = {
    error_rate: { threshold: ">5%", observed: 0.2, reason: "error rate 20.00% breaches the rollback trigger >5%" },
    response_time: { threshold: ">2s", observed: 2500, reason: "p95 response time 2500ms breaches the rollback trigger >2s" },
    health_check_failures: { threshold: ">=3", observed: 3, reason: "3 consecutive health-check failures reach the limit of 3" },
    analysis_errors: { threshold: ">=4", observed: 4, reason: "4 analyses in a row failed, reaching the limit of 4 (last error: 503); the candidate cannot be judged" },
  };
  const d = defaults[over.trigger] ?? { threshold: "?", observed: 0, reason: "?" };
  return stamp(t, {
    type: "rollback.decided",
    strategy: "immediate",
    source: over.trigger === "analysis_errors" ? "analysis-errors" : "rollback-trigger",
    ...d,
    ...over,
  });
}

export const rollbackCompleted = (t: number, stage: string, trigger: string, seconds = 0) => stamp(t, { type: "rollback.completed", stage, trigger, seconds });

export const strategyFinished = (t: number, result: "promoted" | "rolled-back" | "inconclusive") => stamp(t, { type: "strategy.finished", result });

export const routerObserved = (t: number, candidate: number) => stamp(t, { type: "router.observed", shares: { stable: 100 - candidate, candidate } });

export const loadStarted = (t: number, phase = "load") =>
  stamp(t, { type: "load.started", phase, target: "http://127.0.0.1:8080/api/evaluations", executor: "constant-arrival-rate", plannedRequests: 1000 });

/** One second of the load stream for a version: `second` counts from the load's first request (load.started). */
export function loadSecond(t: number, second: number, version: string, stats: Partial<SecondStats> = {}) {
  const requests = stats.requests ?? 100;
  const failed = stats.failed ?? 0;
  return stamp(t, {
    type: "load.second",
    phase: "load",
    second,
    version,
    requests,
    failed,
    codes: { "200": requests - failed, ...(failed > 0 ? { "500": failed } : {}) },
    p50: 40,
    p95: 120,
    p99: 200,
    max: 300,
    ...stats,
  });
}

export function threshold(metric: string, expression: string, observed: number, pass: boolean): LoadThresholdOutcome {
  return { metric, expression, observed, pass, abortOnFail: false };
}

export const loadFinished = (t: number, thresholds: LoadThresholdOutcome[], phase = "load") =>
  stamp(t, { type: "load.finished", phase, requests: 1000, failed: 0, achievedRate: 200, stoppedBy: "completed", thresholds });

/** The events sorted by time, with the roles' versions, and whatever the run read at its end. */
export function evidenceOf(
  events: readonly Stamped[],
  end: { finalShares?: Record<string, number>; finalHealth?: Record<string, ReadonlyArray<number | null>>; versions?: Record<string, string> } = {},
): Evidence {
  return {
    events: [...events].sort((a, b) => a.t - b.t),
    versions: new Map(Object.entries(end.versions ?? { stable: STABLE, candidate: CANDIDATE })),
    metrics: new Map(),
    ...(end.finalShares ? { finalShares: end.finalShares } : {}),
    ...(end.finalHealth ? { finalHealth: new Map(Object.entries(end.finalHealth)) } : {}),
  };
}

type Sources = Parameters<typeof collectEvidence>[1];
type ClusterView = NonNullable<Sources["kubernetes"]>;

/**
 * Evidence sources for the collectors with no router, no instance and no
 * answer, and a cluster view whose every method fails unless the test gives
 * it (`kubernetes`), so a collector that asks for more than it should is seen.
 */
export function clusterSources(kubernetes: Partial<ClusterView>): Sources {
  const unasked = (what: string) => () => Promise.reject(new Error(`${what} was not expected to be asked`));
  return {
    readShares: async () => undefined,
    instances: () => undefined,
    get: async () => ({ status: null }),
    kubernetes: { secretAtRest: unasked("secretAtRest"), encryptionAtRest: unasked("encryptionAtRest"), reviewAccess: unasked("reviewAccess"), testConnection: unasked("testConnection"), ...kubernetes },
  };
}
