import { wilson } from "../analysis/intervals.js";
import type { TimeScale } from "../common/clock.js";
import { stagesFor } from "../document/stages.js";
import { wallRate, type LoadProfile } from "../load/profile.js";

import type { Scenario } from "../scenario/scenario.js";
import { analysisTiming } from "./strategy-run.js";


/** The share of the load's requests the analysis counts (its queries select the /api/ routes). */
export function apiShare(load: LoadProfile): number {
  const total = load.requests.reduce((a, r) => a + r.weight, 0);
  return total === 0 ? 0 : load.requests.filter((r) => r.path.startsWith("/api/")).reduce((a, r) => a + r.weight, 0) / total;
}

/** The fewest requests with no error whose 95% Wilson interval lies wholly under `threshold` (a fraction): what `significant` needs to pass "<threshold". */
export function requestsToShowBelow(threshold: number): number {
  let n = 1;
  while (wilson(0, n)[1] >= threshold && n < 10_000_000) n = Math.ceil(n * 1.05) + 1;
  // Step back down to the first n that does it.
  while (n > 1 && wilson(0, n - 1)[1] < threshold) n--;
  return n;
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
    const most = needed.reduce((a, b) => (b.n > a.n ? b : a));
    if (perWindow >= most.n) continue;
    const enough = Math.ceil(most.n / ((stage.percentage / 100) * seconds * Math.max(apiShare(load), 1e-9)));
    out.push(
      `${scenario.file}: strategy stage ${stage.name} (${stage.percentage}% of the load): an analysis window of ${seconds.toFixed(1)} s holds about ${Math.floor(perWindow)} of the candidate's API requests at ${wallRate(load).toFixed(0)} req/s, under ${most.why}: the stage would end inconclusive; a load of at least ${enough} req/s would give it enough`,
    );
  }
  return out;
}
