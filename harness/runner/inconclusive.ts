import type { Judgement } from "../checker/evidence.js";
import type { Expectation } from "../scenario/scenario.js";

/** Expectations judged on timing or delivery (latency, failed requests, probes, recovery time): a saturated machine can fail them on its own. */
const TIMING: ReadonlySet<Expectation["kind"]> = new Set(["thresholds", "requests", "probe", "health", "rto"]);
/** Expectations on the strategy's decision: they cannot be judged when its stage ended inconclusive on a saturated machine. */
const DECISION: ReadonlySet<Expectation["kind"]> = new Set(["promoted", "rollback", "traffic"]);

/**
 * A failed expectation that the machine's own saturation may explain is
 * inconclusive, not failed: a timing expectation (or one that failed only on
 * timing evidence) whose evidence span (the load, or the run) overlapped a
 * saturated span, or a decision expectation
 * when the strategy stopped because the machine was saturated. Held ones
 * stay held: saturation only makes the system under test look worse.
 */
export function saturationExplains(kind: Expectation["kind"], j: Judgement, why: { duringEvidence?: string; strategy?: string }): string | undefined {
  if (j.held) return undefined;
  if ((TIMING.has(kind) || j.timingOnly) && why.duringEvidence) return `the machine running the harness was saturated while this was measured (${why.duringEvidence})`;
  if (DECISION.has(kind) && why.strategy) return `the strategy stopped inconclusive because the machine running the harness was saturated (${why.strategy})`;
  return undefined;
}
