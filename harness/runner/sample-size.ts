import { requestsToShowBelow } from "../analysis/sample-size.js";
import { MAX_SIGNIFICANT_EXTENSION, requestsToTellStage } from "../controller/controller.js";
import type { Comparison } from "../document/comparison.js";
import type { TimeScale } from "../common/clock.js";
import { stagesFor, type Stage } from "../document/stages.js";
import { wallRate, type LoadProfile } from "../load/profile.js";

import type { Scenario } from "../scenario/scenario.js";
import { analysisTiming } from "./strategy-run.js";


/** The share of the load's requests the analysis counts (its queries select the /api/ routes). */
export function apiShare(load: LoadProfile): number {
  const total = load.requests.reduce((a, r) => a + r.weight, 0);
  return total === 0 ? 0 : load.requests.filter((r) => r.path.startsWith("/api/")).reduce((a, r) => a + r.weight, 0) / total;
}

/**
 * Stages the scenario's load cannot judge at its time scale, said before
 * anything starts: the candidate's API requests an analysis window can hold
 * in each stage (the load's rate x the stage's share x the longest window)
 * against minRequests and, under the significant policy, against what a
 * clean window needs to show the stage's error-rate criterion. Each warning
 * says the rate that would be enough.
 */
export function sampleSizeWarnings(scenario: Scenario, scale: TimeScale): string[] {
  const strategy = scenario.strategy;
  const load = scenario.load;
  if (!strategy || !load || load.target !== "router") return [];
  const { windowMs } = analysisTiming(strategy, scale);
  const rate = wallRate(load) * apiShare(load);
  const out: string[] = [];
  for (const stage of stagesFor(strategy.name, scenario.spec)) {
    if (stage.durationMs === 0) continue;
    const seconds = Math.min(windowMs, scale.toWallMs(stage.durationMs)) / 1000;
    const perWindow = rate * (stage.percentage / 100) * seconds;
    const needed: Array<{ n: number; why: string }> = [{ n: strategy.minRequests, why: `minRequests (${strategy.minRequests})` }];
    const criterion = stage.criteria.errorRate;
    if (strategy.decision === "significant" && criterion && (criterion.op === "<" || criterion.op === "<=") && criterion.value > 0) {
      needed.push({ n: requestsToShowBelow(criterion.value), why: `the ${requestsToShowBelow(criterion.value)} error-free requests that show ${criterion.text} at 95% (decision: significant)` });
    }
    if (strategy.decision === "significant") {
      const told = tellingWarning(scenario.file, stage, scenario.spec.rollback.errorRate, rate, load, scale);
      if (told) out.push(told);
    }
    const most = needed.reduce((a, b) => (b.n > a.n ? b : a));
    if (perWindow >= most.n) continue;
    const enough = Math.ceil(most.n / ((stage.percentage / 100) * seconds * Math.max(apiShare(load), 1e-9)));
    out.push(
      `${scenario.file}: strategy stage ${stage.name} (${stage.percentage}% of the load): an analysis window of ${seconds.toFixed(1)} s holds about ${Math.floor(perWindow)} of the candidate's API requests at ${wallRate(load).toFixed(0)} req/s, under ${most.why}: the stage would end inconclusive; a load of at least ${enough} req/s would give it enough`,
    );
  }
  return out;
}

/**
 * Under `significant`, a stage is observed past its end until it holds the
 * requests that tell its error-rate thresholds, for at most
 * MAX_SIGNIFICANT_EXTENSION times its length. When even that cannot hold
 * them at the scenario's rate, a candidate at twice a trigger may end the
 * stage inconclusive instead of rolled back: said before anything starts.
 */
function tellingWarning(file: string, stage: Stage, trigger: Comparison, rate: number, load: LoadProfile, scale: TimeScale): string | undefined {
  const told = requestsToTellStage(stage, trigger);
  if (!told) return undefined;
  const { needed, threshold: hardest } = told;
  const seconds = ((1 + MAX_SIGNIFICANT_EXTENSION) * scale.toWallMs(stage.durationMs)) / 1000;
  const held = rate * (stage.percentage / 100) * seconds;
  if (held >= needed) return undefined;
  const enough = Math.ceil(needed / ((stage.percentage / 100) * seconds * Math.max(apiShare(load), 1e-9)));
  return `${file}: strategy stage ${stage.name} (${stage.percentage}% of the load): even observed ${1 + MAX_SIGNIFICANT_EXTENSION} times its ${(seconds / (1 + MAX_SIGNIFICANT_EXTENSION)).toFixed(1)} s, it holds about ${Math.floor(held)} of the candidate's API requests at ${wallRate(load).toFixed(0)} req/s, under the ${needed} that tell a candidate at twice or half ${hardest.text} (decision: significant): such a candidate may end the stage inconclusive instead of rolled back or passed; a load of at least ${enough} req/s would be enough`;
}
