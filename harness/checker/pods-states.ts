import type { EventOf, Stamped } from "../timeline/events.js";
import { judgedWindow, type Evidence, type Verdict } from "./evidence.js";

export type PodsState = Stamped<EventOf<"pods.observed">>;

/**
 * A role's pods.observed events judged over a step (or the whole run): the
 * state at the window's start (the last observation before it) and every
 * one in it; `all` is every observation of the role in the run. A verdict
 * instead when there is nothing to judge.
 */
export function podsInWindow(evidence: Evidence, role: string, during: string | undefined): { all: PodsState[]; states: PodsState[] } | Verdict {
  const window = judgedWindow(evidence, during);
  if (!window) return { held: false, evidence: `step ${during} never ran to its end, so there is nothing to judge` };
  const all = evidence.events.filter((ev): ev is PodsState => ev.type === "pods.observed" && ev.role === role);
  const opening = all.filter((s) => s.t <= window.start).pop();
  const states = [...(opening ? [opening] : []), ...all.filter((s) => s.t > window.start && s.t <= window.end)];
  if (states.length === 0) return { held: false, evidence: `no observation of ${role}'s pods in the window` };
  return { all, states };
}
