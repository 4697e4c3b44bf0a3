import { parseComparison, satisfies } from "../document/comparison.js";
import type { Expectation } from "../scenario/scenario.js";
import { candidateLoad, collectShares, of, sharesText, type Evidence, type ExpectationKind, type Verdict } from "./evidence.js";

function judgeRollback(e: Extract<Expectation, { kind: "rollback" }>, evidence: Evidence): Verdict {
  const decided = of(evidence.events, "rollback.decided");
  if (e.none) {
    if (decided.length > 0) return { held: false, evidence: `rolled back during ${decided[0]!.stage}: ${decided[0]!.reason}` };
    const inconclusive = of(evidence.events, "stage.inconclusive")[0];
    if (inconclusive) return { held: false, evidence: `no rollback, but ${inconclusive.stage} was inconclusive and the promotion stopped there: ${inconclusive.reason}` };
    const finished = of(evidence.events, "strategy.finished")[0];
    if (!finished) return { held: false, evidence: "the strategy never finished, so it cannot be said that nothing fired" };
    const analyses = of(evidence.events, "analysis.evaluated").length;
    return { held: analyses > 0, evidence: `no rollback in ${analyses} analyses; strategy finished ${finished.result}` };
  }
  const d = decided[0];
  if (!d) {
    const inconclusive = of(evidence.events, "stage.inconclusive")[0];
    if (inconclusive) return { held: false, evidence: `no rollback happened: ${inconclusive.stage} was inconclusive (${inconclusive.reason})` };
    const last = of(evidence.events, "analysis.evaluated").at(-1);
    return {
      held: false,
      evidence: `no rollback happened${last ? `; last analysis (${last.stage}): error rate ${last.errorRate === null ? "n/a" : `${(last.errorRate * 100).toFixed(2)}%`}, ${last.statistic} ${last.latencyMs === null ? "n/a" : `${Math.round(last.latencyMs)}ms`}, ${last.healthFailures} health failures` : ""}`,
    };
  }
  const problems: string[] = [];
  if (e.trigger && d.trigger !== e.trigger) problems.push(`fired by ${d.trigger}, not ${e.trigger}`);
  if (e.stage && d.stage !== e.stage) problems.push(`during ${d.stage}, not ${e.stage}`);
  // Independent evidence 1: the router itself, read back after the decision.
  const backOnStable = of(evidence.events, "router.observed").find((o) => o.t >= d.t && (o.shares.candidate ?? 0) === 0);
  if (!backOnStable) problems.push(`the router was never read back with the candidate at 0% after the decision (final: ${sharesText(evidence.finalShares)})`);
  // Independent evidence 2: the load generator's own view of the candidate before the decision.
  let seen = "";
  // Only the metric triggers leave a trace in the load; health checks and failed analyses are judged on the router alone.
  if (of(evidence.events, "load.started").length > 0 && (d.trigger === "error_rate" || d.trigger === "response_time")) {
    const stageStart = of(evidence.events, "stage.started").find((s) => s.stage === d.stage)?.t ?? 0;
    const load = candidateLoad(evidence, stageStart, d.t);
    if (load.requests === 0) problems.push("the load generator saw no candidate request before the decision");
    else if (d.trigger === "error_rate") {
      const rate = load.failed / load.requests;
      seen = `; load generator saw the candidate fail ${load.failed} of ${load.requests} (${(rate * 100).toFixed(1)}%)`;
      if (load.failed === 0) problems.push(`the load generator saw no candidate failure before the decision (${load.requests} requests)`);
    } else {
      seen = `; load generator saw candidate p95 up to ${Math.round(load.worstP95)}ms`;
      // A trigger (">2s") fires when it holds; a success criterion ("<500ms") fails when it does not.
      const c = parseComparison(d.threshold);
      const breached = c !== undefined && (d.source === "success-criteria" ? !satisfies(c, load.worstP95) : satisfies(c, load.worstP95));
      if (!breached) problems.push(`the load generator's candidate p95 (${Math.round(load.worstP95)}ms) never breached ${d.threshold}`);
    }
  }
  const text = `rolled back during ${d.stage} by ${d.trigger} (${d.source}): ${d.reason}; router read back ${backOnStable ? sharesText(backOnStable.shares) : "n/a"} at ${backOnStable ? (backOnStable.t - d.t).toFixed(2) : "?"}s after the decision${seen}`;
  return problems.length ? { held: false, evidence: `${problems.join("; ")}. ${text}` } : { held: true, evidence: text };
}

function describeRollback(e: Extract<Expectation, { kind: "rollback" }>): string {
  return e.none
    ? "no rollback: no trigger fired and no success criterion failed"
    : `rolled back${e.trigger ? ` by ${e.trigger}` : ""}${e.stage ? ` during ${e.stage}` : ""}, with the router's weights back on stable`;
}

export const rollback = { describe: describeRollback, collect: (_e, sources, into) => collectShares(sources, into), judge: judgeRollback } satisfies ExpectationKind<"rollback">;
