/** The words strategies, triggers and analyses share. */

export const STRATEGIES = ["canary", "blue-green"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** The document's rollback triggers, and analysis_errors: too many failed analyses in a row (the controller's own). */
export const TRIGGERS = ["error_rate", "response_time", "health_check_failures", "analysis_errors"] as const;
export type TriggerName = (typeof TRIGGERS)[number];

export const LATENCY_STATISTICS = ["p50", "p90", "p95", "p99", "avg"] as const;
export type LatencyStatistic = (typeof LATENCY_STATISTICS)[number];

/** The roles a strategy moves traffic between. */
export const ROLES = { stable: "stable", candidate: "candidate" } as const;

/**
 * How an analysis window's figures are compared with the document's
 * thresholds: `literal`, the observed value (what the document says);
 * `significant`, the value's 95% interval (breach or pass only when all of it
 * is on one side, otherwise keep observing).
 */
export const DECISION_POLICIES = ["literal", "significant"] as const;
export type DecisionPolicy = (typeof DECISION_POLICIES)[number];
