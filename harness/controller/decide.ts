import { latencyOf, type Measurement } from "../analysis/analysis.js";
import { formatInterval, type Interval } from "../analysis/intervals.js";
import { formatObserved, satisfies, type Comparison } from "../document/comparison.js";
import type { Stage } from "../document/stages.js";

import type { DecisionPolicy, LatencyStatistic, TriggerName } from "../model/strategy.js";

export interface RollbackTriggers {
  readonly errorRate: Comparison;
  readonly responseTime: Comparison;
  readonly healthCheckFailures: number;
}

export interface Decision {
  trigger: TriggerName;
  /** A rollback trigger of the document fired, a stage's success criterion failed, or too many analyses in a row failed. */
  source: "rollback-trigger" | "success-criteria" | "analysis-errors";
  /** What was compared, with the evidence's strength, for reports: "error rate 20.00% over 1000 requests (95% CI 18-23%) breaches the rollback trigger >5%". */
  reason: string;
  observed: number;
  threshold: string;
}

/**
 * What one analysis window says about the candidate:
 * - `breach`: roll back (a trigger fired, a criterion failed);
 * - `pass`: every criterion and trigger judged, and clear;
 * - `undecided` (policy `significant` only): some figure's interval straddles its threshold: keep observing;
 * - `unjudged`: too few requests in the window to say anything (below minRequests);
 * - `saturated` (set by the controller, not here): it would have been a breach, but the machine running the
 *   harness was saturated during the window, so the breach may be the harness's own: keep observing.
 */
export type WindowVerdict =
  | { readonly kind: "breach"; readonly decision: Decision }
  | { readonly kind: "pass" }
  | { readonly kind: "undecided"; readonly reason: string }
  | { readonly kind: "unjudged"; readonly reason: string }
  | { readonly kind: "saturated"; readonly reason: string };

/**
 * Given one analysis of the candidate, its consecutive health-check failures
 * and the stage it is in: roll back, or not. Rollback triggers come first
 * (they apply throughout); then the stage's success criteria. Health
 * failures count at once; metrics only once the window holds at least
 * `minRequests` requests.
 */
export function decide(m: Measurement, healthFailures: number, triggers: RollbackTriggers, stage: Stage, minRequests: number, policy: DecisionPolicy = "literal"): Decision | undefined {
  const v = judgeWindow(m, healthFailures, triggers, stage, minRequests, policy);
  return v.kind === "breach" ? v.decision : undefined;
}

/**
 * The window's verdict under a decision policy. `literal` (the document's
 * words): the observed value against the threshold. `significant`: a
 * trigger fires, or a criterion fails, only when the figure's whole 95%
 * interval is beyond the threshold; a criterion passes only when its whole
 * interval is within; otherwise the window is undecided. Latency "avg" has
 * no interval and is compared literally under both.
 */
export function judgeWindow(m: Measurement, healthFailures: number, triggers: RollbackTriggers, stage: Stage, minRequests: number, policy: DecisionPolicy = "literal"): WindowVerdict {
  const health = decideHealth(healthFailures, triggers);
  if (health) return { kind: "breach", decision: health };
  // Too few requests in the window say nothing either way (one error in three requests is not a 33% error rate).
  if (m.requests < minRequests) return { kind: "unjudged", reason: `${Math.round(m.requests)} requests in the window, under minRequests ${minRequests}` };
  const undecided: string[] = [];
  const checks: Array<{ trigger: TriggerName; source: Decision["source"]; what: string; value: number | undefined; interval: Interval | undefined; c: Comparison; firesWhen: boolean }> = [];
  const latency = (c: Comparison) => {
    const s = (c.statistic ?? m.latencyStatistic) as LatencyStatistic;
    return { what: `${s} response time`, value: latencyOf(m, c.statistic), interval: m.intervals?.latencies?.[s] };
  };
  const errorInterval = m.intervals?.errorRate;
  checks.push({ trigger: "error_rate", source: "rollback-trigger", what: "error rate", value: m.errorRate, interval: errorInterval, c: triggers.errorRate, firesWhen: true });
  checks.push({ trigger: "response_time", source: "rollback-trigger", ...latency(triggers.responseTime), c: triggers.responseTime, firesWhen: true });
  const { errorRate, responseTime } = stage.criteria;
  if (errorRate) checks.push({ trigger: "error_rate", source: "success-criteria", what: "error rate", value: m.errorRate, interval: errorInterval, c: errorRate, firesWhen: false });
  if (responseTime) checks.push({ trigger: "response_time", source: "success-criteria", ...latency(responseTime), c: responseTime, firesWhen: false });
  for (const k of checks) {
    if (k.value === undefined) continue;
    // A trigger fires when its comparison holds; a criterion fails when its comparison does not.
    const breached = (x: number) => satisfies(k.c, x) === k.firesWhen;
    const evidence = describeEvidence(k.what, k.value, m.requests, k.interval, k.c);
    const verb = k.source === "rollback-trigger" ? "breaches the rollback trigger" : "fails the success criterion";
    if (policy === "significant" && k.interval) {
      const [lo, hi] = k.interval;
      if (breached(lo) && breached(hi)) return breach(k.trigger, k.source, `${evidence} ${verb} ${k.c.text}, all of its interval`, k.value, k.c);
      if (breached(lo) || breached(hi)) undecided.push(`${evidence} straddles ${k.c.text}`);
      continue;
    }
    if (breached(k.value)) return breach(k.trigger, k.source, `${evidence} ${verb} ${k.c.text}`, k.value, k.c);
  }
  return undecided.length > 0 ? { kind: "undecided", reason: undecided.join("; ") } : { kind: "pass" };
}

/** "error rate 27.78% over 18 requests (95% CI 13-51%)". */
function describeEvidence(what: string, value: number, requests: number, interval: Interval | undefined, c: Comparison): string {
  const ci = interval ? `, ${formatInterval(interval, c.unit === "ratio" ? "ratio" : "ms")}` : "";
  return `${what} ${formatObserved(c, value)} (${Math.round(requests)} requests${ci})`;
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

function breach(trigger: TriggerName, source: Decision["source"], reason: string, observed: number, c: Comparison): WindowVerdict {
  return { kind: "breach", decision: { trigger, source, reason, observed, threshold: c.text } };
}
