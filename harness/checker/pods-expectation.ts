import { formatSpan } from "../common/duration.js";
import type { PodCount, PodsExpectation } from "../scenario/scenario.js";
import type { EventOf, Stamped } from "../timeline/events.js";
import { judgedWindow, timeScaleOf, type Evidence, type ExpectationKind, type Verdict } from "./evidence.js";

type PodsState = Stamped<EventOf<"pods.observed">>;

/** The replicas the role's Deployment asks for, from the deployment.observed event. */
function replicasOf(evidence: Evidence, role: string): number | undefined {
  const d = evidence.events.find((ev): ev is Stamped<EventOf<"deployment.observed">> => ev.type === "deployment.observed" && ev.role === role);
  return d?.deployment.replicas;
}

/** "all" is every replica (a rolling update's surge pod may make it more); a number is exact. */
function countHolds(want: PodCount, have: number, replicas: number): boolean {
  return want === "all" ? have >= replicas : want === "none" ? have === 0 : have === want;
}

function showState(s: PodsState): string {
  const pods = s.pods.map((p) => `${p.name.replace(/^.*-/, "")}:${p.ready ? "ready" : "unready"}/${p.restarts}r/${p.version}`).join(" ");
  return `at ${s.t.toFixed(1)}s ${s.pods.filter((p) => p.ready).length}/${s.pods.length} ready, ${s.endpoints} endpoint(s) [${pods}]`;
}

/**
 * Pods are observed on change: the state at a moment is the last observation
 * before it. Every state in effect from `within` after the step's start to
 * its end must show the counts; restarts compare the first state with the last.
 */
function judgePods(e: PodsExpectation, evidence: Evidence): Verdict {
  const window = judgedWindow(evidence, e.during);
  if (!window) return { held: false, evidence: `step ${e.during} never ran to its end, so there is nothing to judge` };
  const replicas = replicasOf(evidence, e.version);
  if (replicas === undefined) return { held: false, evidence: `${e.version} was never deployed in a cluster (no deployment.observed event)` };
  const all = evidence.events.filter((ev): ev is PodsState => ev.type === "pods.observed" && ev.role === e.version);
  const settleAt = window.start + ((e.withinMs ?? 0) / 1000) * timeScaleOf(evidence);
  if (settleAt > window.end) return { held: false, evidence: `within ${formatSpan((e.withinMs ?? 0) / 1000)} (spec) is longer than step ${e.during}, so nothing in it is judged` };
  const atSettle = all.filter((s) => s.t <= settleAt).pop();
  const states = [...(atSettle ? [atSettle] : []), ...all.filter((s) => s.t > settleAt && s.t <= window.end)];
  if (states.length === 0) return { held: false, evidence: `no observation of ${e.version}'s pods in the window` };
  const problems: string[] = [];
  for (const s of states) {
    const ready = s.pods.filter((p) => p.ready).length;
    if (e.ready !== undefined && !countHolds(e.ready, ready, replicas)) problems.push(`${ready} ready, not ${e.ready}`);
    else if (e.endpoints !== undefined && !countHolds(e.endpoints, s.endpoints, replicas)) problems.push(`${s.endpoints} endpoint(s), not ${e.endpoints}`);
    else if (e.tag !== undefined && !s.pods.every((p) => p.version === e.tag)) problems.push(`pods run ${[...new Set(s.pods.map((p) => p.version))].join(", ")}, not only ${e.tag}`);
    else continue;
    return { held: false, evidence: `${problems[0]} ${showState(s)}${e.withinMs !== undefined ? ` (${(s.t - window.start).toFixed(1)}s into ${e.during}, allowed ${(settleAt - window.start).toFixed(1)}s, ${e.withinMs / 1000}s spec)` : ""}` };
  }
  const first = states[0]!;
  const last = states[states.length - 1]!;
  if (e.restarted !== undefined) {
    // Counted from the state when the window opened, not when it settled: a restart may come before `within`.
    // A pod that appears in the window is counted from when it was first seen.
    const opening = all.filter((s) => s.t <= window.start).pop() ?? first;
    const inWindow = [opening, ...all.filter((s) => s.t > window.start && s.t <= window.end)];
    const baseline = new Map<string, number>();
    for (const s of inWindow) for (const p of s.pods) if (!baseline.has(p.name)) baseline.set(p.name, p.restarts);
    const restarted = last.pods.filter((p) => p.restarts > (baseline.get(p.name) ?? p.restarts)).map((p) => p.name);
    const replaced = opening.pods.map((p) => p.name).filter((name) => !last.pods.some((p) => p.name === name));
    const text = `${restarted.length} of ${last.pods.length} pods restarted in the window${replaced.length ? `, ${replaced.length} replaced` : ""}: ${showState(opening)} -> ${showState(last)}`;
    if (e.restarted && (restarted.length !== last.pods.length || last.pods.length === 0)) return { held: false, evidence: text };
    if (!e.restarted && (restarted.length > 0 || replaced.length > 0)) return { held: false, evidence: text };
  }
  return { held: true, evidence: `${states.length} state(s) observed, all as expected; ${showState(first)}${states.length > 1 ? ` ... ${showState(last)}` : ""}` };
}

function describePods(e: PodsExpectation): string {
  const parts = [
    e.ready !== undefined ? `${e.ready} pods ready` : "",
    e.endpoints !== undefined ? `${e.endpoints} Service endpoints` : "",
    e.restarted === true ? "every pod restarted" : e.restarted === false ? "no pod restarted" : "",
    e.tag ? `every pod runs ${e.tag}` : "",
  ].filter(Boolean);
  return `${e.version}: ${parts.join(", ")}${e.during ? ` during ${e.during}` : " throughout the run"}${e.withinMs !== undefined ? ` within ${formatSpan(e.withinMs / 1000)} of its start and from then on` : ""}`;
}

export const pods = { describe: describePods, judge: judgePods } satisfies ExpectationKind<"pods">;
