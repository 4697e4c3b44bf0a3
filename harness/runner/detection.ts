import type { StrategyOutcome } from "../controller/controller.js";
import type { DeploymentSpec } from "../document/deployment-spec.js";
import { isFailed } from "../load/aggregator.js";
import type { RequestResult } from "../load/load-generator.js";
import type { RollbackResult } from "../report/results.js";

/** The first request the candidate answered badly, per trigger: the start of the clock for detection latency. */
export class FirstBadRequest {
  private failedAt: number | undefined;
  private slowAt: number | undefined;
  private readonly slowMs: number;

  constructor(
    private readonly candidate: string | undefined,
    spec: DeploymentSpec,
  ) {
    // The lowest latency bound in play: the strictest stage criterion, or the trigger.
    const bounds = [spec.rollback.responseTime.value, ...spec.canary.stages.map((s) => s.successCriteria.responseTime?.value ?? Infinity)];
    this.slowMs = Math.min(...bounds);
  }

  see(r: RequestResult): void {
    if (r.version !== this.candidate) return;
    if (this.failedAt === undefined && isFailed(r.code)) this.failedAt = r.at;
    if (this.slowAt === undefined && r.latencyMs > this.slowMs) this.slowAt = r.at;
  }

  at(trigger: string): number | undefined {
    return trigger === "error_rate" ? this.failedAt : trigger === "response_time" ? this.slowAt : undefined;
  }
}

/** results.json's account of the automated rollback: what fired, when, how long detection and completion took. */
export function rollbackResult(outcome: StrategyOutcome | undefined, firstBad: FirstBadRequest, spec: DeploymentSpec): RollbackResult | null {
  const r = outcome?.rollback;
  if (!r) return null;
  const firstBadAt = firstBad.at(r.trigger);
  return {
    trigger: r.trigger,
    source: r.source,
    stage: r.stage,
    reason: r.reason,
    strategy: spec.rollback.strategy,
    detectedAfterSeconds: firstBadAt === undefined ? null : round3((r.decidedAt - firstBadAt) / 1000),
    completedAfterSeconds: round3((r.completedAt - r.decidedAt) / 1000),
  };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
