import { complement, type Comparison } from "./comparison.js";
import type { DeploymentSpec } from "./deployment-spec.js";

import type { StrategyName } from "../model/strategy.js";

/** One step of traffic to the candidate, with what must hold while it runs. Durations in spec milliseconds. */
export interface Stage {
  readonly name: string;
  readonly percentage: number;
  readonly durationMs: number;
  readonly criteria: { readonly errorRate?: Comparison; readonly responseTime?: Comparison };
}

/** The stages a strategy goes through, as the deployment document defines them. */
export function stagesFor(strategy: StrategyName, spec: DeploymentSpec): Stage[] {
  if (strategy === "canary") {
    return spec.canary.stages.map((s) => ({ name: s.name, percentage: s.percentage, durationMs: s.durationMs, criteria: s.successCriteria }));
  }
  // Blue-green: every shift must stay clear of the document's rollback_threshold (">5%" rolls back, so "<=5%" passes).
  const errorRate = complement(spec.blueGreen.rollbackThreshold);
  return spec.blueGreen.trafficShift.map((s) => ({ name: s.name, percentage: s.percentage, durationMs: s.durationMs, criteria: { errorRate } }));
}
