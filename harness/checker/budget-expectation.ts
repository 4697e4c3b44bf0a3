import { countSatisfies } from "../document/comparison.js";
import type { BudgetExpectation } from "../scenario/scenario.js";
import type { EventOf, Stamped } from "../timeline/events.js";
import { judgedWindow, type Evidence, type ExpectationKind, type Verdict } from "./evidence.js";
import { podsInWindow, type PodsState } from "./pods-states.js";

type Eviction = Stamped<EventOf<"node.eviction">>;

/** A budget's minAvailable as a count of `pods` (a percentage rounds up, as the disruption controller does). */
export function minAvailableOf(minAvailable: number | string, pods: number): number {
  if (typeof minAvailable === "number") return minAvailable;
  const percent = /^(\d+)%$/.exec(minAvailable);
  return percent ? Math.ceil((Number(percent[1]) / 100) * pods) : Number(minAvailable);
}

/** Where the role's ready pods are: node (n), ... */
function placement(s: PodsState): string {
  const byNode = new Map<string, number>();
  for (const p of s.pods) if (p.ready) byNode.set(p.node ?? "?", (byNode.get(p.node ?? "?") ?? 0) + 1);
  return [...byNode].map(([node, n]) => `${node} (${n})`).join(", ") || "none";
}

/**
 * The role's PodDisruptionBudget over the window, from its pods.observed
 * events (the state at a moment is the last observation before it): the
 * fewest ready pods at any moment against the budget's minAvailable, the
 * budget's own healthy count against what it requires, and the evictions of
 * the role's pods a drain made (node.eviction), with the refusals before them.
 */
function judgeBudget(e: BudgetExpectation, evidence: Evidence): Verdict {
  const observed = podsInWindow(evidence, e.version, e.during);
  if ("held" in observed) return observed;
  const { all, states } = observed;
  const window = judgedWindow(evidence, e.during)!;
  const budgeted = states.filter((s) => s.budget);
  if (budgeted.length === 0) return { held: false, evidence: `${e.version} has no PodDisruptionBudget in the window (the overlay has none)` };
  const ready = (s: PodsState) => s.pods.filter((p) => p.ready).length;
  // From the first moment the budget is known: before it, nothing asked anything of the pods.
  const judged = states.slice(states.indexOf(budgeted[0]!));
  const required = (s: PodsState) => minAvailableOf((s.budget ?? budgeted[0]!.budget)!.minAvailable, s.pods.length);
  const fewest = judged.reduce((a, b) => (ready(b) - required(b) < ready(a) - required(a) ? b : a));
  const checks: Array<[string, boolean]> = [];
  checks.push([`fewest ready ${ready(fewest)} at ${fewest.t.toFixed(1)}s (minAvailable ${required(fewest)}), on ${placement(fewest)}`, ready(fewest) >= required(fewest)]);
  const short = budgeted.find((s) => s.budget!.healthy < s.budget!.desiredHealthy);
  checks.push([
    short ? `the budget's own status at ${short.t.toFixed(1)}s: ${short.budget!.healthy} healthy of ${short.budget!.desiredHealthy} required` : `the budget's own status: never fewer healthy than required (${budgeted.length} observation(s))`,
    short === undefined,
  ]);
  const names = new Set(all.flatMap((s) => s.pods.map((p) => p.name)));
  const evictions = evidence.events.filter((ev): ev is Eviction => ev.type === "node.eviction" && ev.t > window.start && ev.t <= window.end && names.has(ev.pod.split("/")[1] ?? ""));
  const refusals = evictions.reduce((n, ev) => n + ev.refusals, 0);
  const evicted = `${evictions.length} of its pod(s) evicted by a drain${evictions.length ? ` (${evictions.map((ev) => `${ev.pod.split("/")[1]} from ${ev.node} at ${ev.t.toFixed(1)}s`).join(", ")})` : ""}, ${refusals} eviction(s) refused by the budget`;
  checks.push([e.evicted ? `${evicted}, expected ${e.evicted.text} evicted` : evicted, e.evicted ? countSatisfies(e.evicted, evictions.length) : true]);
  if (e.refused) checks.push([`${refusals} refusal(s), expected ${e.refused.text}`, countSatisfies(e.refused, refusals)]);
  const last = states[states.length - 1]!;
  checks.push([`at the end ${ready(last)}/${last.pods.length} ready on ${placement(last)}`, true]);
  return { held: checks.every(([, ok]) => ok), evidence: checks.map(([text, ok]) => `${ok ? "" : "MISMATCH "}${text}`).join("; ") };
}

export const budget = {
  describe: (e) =>
    `${e.version}'s PodDisruptionBudget held${e.during ? ` during ${e.during}` : ""}: never fewer ready pods than its minAvailable${e.evicted ? `, with ${e.evicted.text} of its pods evicted by a drain` : ""}${e.refused ? `, ${e.refused.text} eviction(s) refused by it` : ""}`,
  judge: judgeBudget,
} satisfies ExpectationKind<"budget">;
