import { latencyOf, type Measurement } from "../analysis/analysis.js";
import { formatObserved, satisfies, type Comparison } from "../document/comparison.js";
import type { Stage } from "../document/stages.js";

import type { TriggerName } from "../model/strategy.js";

export interface RollbackTriggers {
  readonly errorRate: Comparison;
  readonly responseTime: Comparison;
  readonly healthCheckFailures: number;
}

export interface Decision {
  trigger: TriggerName;
  /** A rollback trigger of the document fired, a stage's success criterion failed, or too many analyses in a row failed. */
  source: "rollback-trigger" | "success-criteria" | "analysis-errors";
  /** What was compared, for reports: "error rate 20.00% breaches >5%". */
  reason: string;
  observed: number;
  threshold: string;
}

/**
 * Given one analysis of the candidate, its consecutive health-check failures
 * and the stage it is in: roll back, or not. Rollback triggers come first
 * (they apply throughout); then the stage's success criteria. Health
 * failures count at once; metrics only once the window holds at least
 * `minRequests` requests.
 */
export function decide(m: Measurement, healthFailures: number, triggers: RollbackTriggers, stage: Stage, minRequests: number): Decision | undefined {
  const health = decideHealth(healthFailures, triggers);
  if (health) return health;
  // Too few requests in the window say nothing either way (one error in three requests is not a 33% error rate).
  if (m.requests < minRequests) return undefined;
  if (m.errorRate !== undefined && satisfies(triggers.errorRate, m.errorRate)) {
    return breach("error_rate", "rollback-trigger", "error rate", m.errorRate, triggers.errorRate);
  }
  const triggerLatency = latencyOf(m, triggers.responseTime.statistic);
  if (triggerLatency !== undefined && satisfies(triggers.responseTime, triggerLatency)) {
    return breach("response_time", "rollback-trigger", `${triggers.responseTime.statistic ?? m.latencyStatistic} response time`, triggerLatency, triggers.responseTime);
  }
  const { errorRate, responseTime } = stage.criteria;
  if (errorRate && m.errorRate !== undefined && !satisfies(errorRate, m.errorRate)) {
    return breach("error_rate", "success-criteria", "error rate", m.errorRate, errorRate, true);
  }
  const criterionLatency = responseTime ? latencyOf(m, responseTime.statistic) : undefined;
  if (responseTime && criterionLatency !== undefined && !satisfies(responseTime, criterionLatency)) {
    return breach("response_time", "success-criteria", `${responseTime.statistic ?? m.latencyStatistic} response time`, criterionLatency, responseTime, true);
  }
  return undefined;
}

/** The health-check trigger alone: it applies even when no measurement could be taken. */
export function decideHealth(healthFailures: number, triggers: RollbackTriggers): Decision | undefined {
  if (healthFailures < triggers.healthCheckFailures) return undefined;
  return {
    trigger: "health_check_failures",
    source: "rollback-trigger",
    reason: `${healthFailures} consecutive health-check failures reach the limit of ${triggers.healthCheckFailures}`,
    observed: healthFailures,
    threshold: `>=${triggers.healthCheckFailures}`,
  };
}

function breach(trigger: TriggerName, source: Decision["source"], what: string, observed: number, c: Comparison, criterion = false): Decision {
  return {
    trigger,
    source,
    reason: `${what} ${formatObserved(c, observed)} ${criterion ? "fails the success criterion" : "breaches the rollback trigger"} ${c.text}`,
    observed,
    threshold: c.text,
  };
}
