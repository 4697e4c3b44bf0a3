import { countSatisfies } from "../document/comparison.js";
import type { RestartsExpectation } from "../scenario/scenario.js";
import type { EventOf, Stamped } from "../timeline/events.js";
import { judgedWindow, type Evidence, type ExpectationKind, type Verdict } from "./evidence.js";

type Restart = Stamped<EventOf<"instance.restarted">>;

/** The platform's restarts of one instance in the window, from the instance.restarted events its crash-loop watch put on the timeline. */
function judgeRestarts(e: RestartsExpectation, evidence: Evidence): Verdict {
  const window = judgedWindow(evidence, e.during);
  if (!window) return { held: false, evidence: `step ${e.during} never ran to its end, so there is nothing to judge` };
  const restarts = evidence.events.filter((ev): ev is Restart => ev.type === "instance.restarted" && ev.role === e.version && ev.instance === e.instance && ev.t >= window.start && ev.t <= window.end);
  const counted = countSatisfies(e.count, restarts.length);
  const waited = restarts.filter((r) => r.waiting !== undefined);
  const sawWaiting = e.waiting === undefined || waited.some((r) => r.waiting === e.waiting);
  const who = [...new Set(restarts.map((r) => r.by))].join(", ");
  const when = restarts.length > 0 ? ` at ${restarts.map((r) => `${r.t.toFixed(1)}s`).join(", ")}${who ? ` by ${who}` : ""}` : "";
  const gaps = restarts.slice(1).map((r, i) => r.t - restarts[i]!.t);
  const backOff = gaps.length > 0 ? `; ${gaps.map((g) => `${g.toFixed(1)}s`).join(", ")} between them` : "";
  const reasons = e.waiting === undefined ? "" : `; waiting ${sawWaiting ? `as ${e.waiting} before ${waited.filter((r) => r.waiting === e.waiting).length} of them` : `never shown as ${e.waiting}${waited.length > 0 ? ` (shown: ${[...new Set(waited.map((r) => r.waiting))].join(", ")})` : ""}`}`;
  return {
    held: counted && sawWaiting,
    evidence: `${restarts.length} restart(s) of ${e.version}-${e.instance}${e.during ? ` in ${e.during}` : ""}${when}${backOff}, expected ${e.count.op === "==" ? "exactly " : ""}${e.count.text}${reasons}`,
  };
}

function describeRestarts(e: RestartsExpectation): string {
  return `the platform restarts ${e.version}-${e.instance} ${e.count.op === "==" ? "exactly " : ""}${e.count.text} time(s)${e.during ? ` during ${e.during}` : ""}${e.waiting ? `, showing ${e.waiting} between restarts` : ""}`;
}

export const restarts = { describe: describeRestarts, judge: judgeRestarts } satisfies ExpectationKind<"restarts">;
