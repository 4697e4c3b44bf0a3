import type { ReplicasExpectation } from "../scenario/scenario.js";
import type { Evidence, ExpectationKind, Verdict } from "./evidence.js";
import { podsInWindow, type PodsState } from "./pods-states.js";

/** One observation: the pods (ready of all) and the autoscaler (current/desired, CPU and memory against their targets). */
function show(s: PodsState): string {
  const ready = s.pods.filter((p) => p.ready).length;
  const a = s.autoscaler;
  const use = (v: number | undefined, target: number | undefined, what: string) => (v === undefined ? `${what} not measured yet` : `${what} ${v}% of requests${target !== undefined ? ` (target ${target}%)` : ""}`);
  const hpa = a ? `; autoscaler ${a.current} current, ${a.desired} desired (${a.min}-${a.max}), ${use(a.cpu, a.cpuTarget, "CPU")}, ${use(a.memory, a.memoryTarget, "memory")}` : "; no autoscaler";
  return `at ${s.t.toFixed(1)}s ${ready}/${s.pods.length} pods ready${hpa}`;
}

/**
 * The role's replicas over the window, from its pods.observed events (the
 * state at a moment is the last observation before it): the peak of ready
 * pods with the autoscaler's count then, the most pods or replicas asked for
 * at any moment, and the state at the end. Each bound asked is judged on
 * both the pods and the autoscaler's status.
 */
function judgeReplicas(e: ReplicasExpectation, evidence: Evidence): Verdict {
  const observed = podsInWindow(evidence, e.version, e.during);
  if ("held" in observed) return observed;
  const { states } = observed;
  if (!states.some((s) => s.autoscaler)) return { held: false, evidence: `${e.version} has no autoscaler in the window (the overlay has none, or the scenario fixes its replicas)` };
  const ready = (s: PodsState) => s.pods.filter((p) => p.ready).length;
  const checks: Array<[string, boolean]> = [];
  if (e.above !== undefined) {
    const peak = states.reduce((a, b) => (ready(b) > ready(a) ? b : a));
    const held = ready(peak) > e.above && (peak.autoscaler?.current ?? 0) > e.above;
    checks.push([`peak above ${e.above}: ${show(peak)}`, held]);
  }
  if (e.atMost !== undefined) {
    const most = states.reduce((a, b) => (Math.max(b.pods.length, b.autoscaler?.desired ?? 0) > Math.max(a.pods.length, a.autoscaler?.desired ?? 0) ? b : a));
    const held = most.pods.length <= e.atMost && (most.autoscaler?.desired ?? 0) <= e.atMost && (most.autoscaler?.current ?? 0) <= e.atMost;
    checks.push([`never more than ${e.atMost}: most ${show(most)}`, held]);
  }
  if (e.end !== undefined) {
    const last = states[states.length - 1]!;
    const held = last.pods.length === e.end && ready(last) === e.end && last.autoscaler?.current === e.end && last.autoscaler.desired === e.end;
    checks.push([`${e.end} at the end: ${show(last)}`, held]);
  }
  return { held: checks.every(([, ok]) => ok), evidence: checks.map(([text, ok]) => `${ok ? "" : "MISMATCH "}${text}`).join("; ") };
}

export const replicas = {
  describe: (e) =>
    `${e.version}'s replicas under its autoscaler${e.during ? ` during ${e.during}` : ""}: ${[
      ...(e.above !== undefined ? [`rise above ${e.above}`] : []),
      ...(e.atMost !== undefined ? [`never more than ${e.atMost}`] : []),
      ...(e.end !== undefined ? [`${e.end} at the end`] : []),
    ].join(", ")} (performance-config.yml: autoscaling)`,
  judge: judgeReplicas,
} satisfies ExpectationKind<"replicas">;
