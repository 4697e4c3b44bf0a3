import type { ProbeExpectation } from "../scenario/scenario.js";
import type { EventOf, Stamped } from "../timeline/events.js";
import { judgedWindow, timeScaleOf, type Evidence, type ExpectationKind, type Verdict } from "./evidence.js";

/** Fewer observations than this in a window cannot show that a status held. */
export const MIN_OBSERVATIONS = 3;

function matches(o: EventOf<"probe.observed">, e: ProbeExpectation): boolean {
  if (o.status !== e.status) return false;
  if (!e.failing) return true;
  const failing = (o.body as { failing?: unknown } | undefined)?.failing;
  return Array.isArray(failing) && failing.includes(e.failing);
}

function show(o: Stamped<EventOf<"probe.observed">>): string {
  const failing = (o.body as { failing?: unknown } | undefined)?.failing;
  return `${o.status ?? o.error ?? "no answer"}${Array.isArray(failing) ? ` failing=[${failing.join(",")}]` : ""} at ${o.t.toFixed(2)}s`;
}

function judgeProbe(e: ProbeExpectation, evidence: Evidence): Verdict {
  const window = judgedWindow(evidence, e.during);
  if (!window) return { held: false, evidence: `step ${e.during} never ran to its end, so there is nothing to judge` };
  const all = evidence.events.filter(
    (ev): ev is Stamped<EventOf<"probe.observed">> =>
      ev.type === "probe.observed" && ev.path === e.path && ev.target.startsWith(`${e.version}/`) && ev.t >= window.start && ev.t <= window.end,
  );
  const settleAt = window.start + ((e.withinMs ?? 0) / 1000) * timeScaleOf(evidence);
  const settled = all.filter((o) => o.t >= settleAt);
  if (settled.length < MIN_OBSERVATIONS) {
    return { held: false, evidence: `only ${settled.length} observation(s) of ${e.path} in the window (need ${MIN_OBSERVATIONS}): the monitor did not watch long enough` };
  }
  const bad = settled.filter((o) => !matches(o, e));
  let reached = "";
  if (e.withinMs !== undefined) {
    const first = all.find((o) => matches(o, e));
    if (!first || first.t > settleAt) {
      return {
        held: false,
        evidence: first
          ? `first ${e.status} came ${(first.t - window.start).toFixed(2)}s after ${e.during} started, later than ${(settleAt - window.start).toFixed(2)}s (${e.withinMs / 1000}s spec)`
          : `no observation answered ${e.status} during ${e.during}; seen: ${summarize(all)}`,
      };
    }
    reached = `first ${e.status} ${(first.t - window.start).toFixed(2)}s after ${e.during} started; `;
  }
  if (bad.length > 0) {
    return { held: false, evidence: `${reached}${bad.length} of ${settled.length} observations differed, first: ${show(bad[0]!)}; seen: ${summarize(settled)}` };
  }
  return { held: true, evidence: `${reached}${settled.length} of ${settled.length} observations answered ${e.status}${e.failing ? ` naming ${e.failing}` : ""}` };
}

function summarize(obs: readonly Stamped<EventOf<"probe.observed">>[]): string {
  const counts = new Map<string, number>();
  for (const o of obs) {
    const k = String(o.status ?? o.error ?? "no answer");
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}×${n}`).join(", ") || "nothing";
}

function describeProbe(e: ProbeExpectation): string {
  const when = e.during ? ` during ${e.during}` : " throughout the run";
  const within = e.withinMs !== undefined ? ` within ${e.withinMs / 1000}s of its start and from then on` : "";
  const failing = e.failing ? `, naming ${e.failing} as failing` : "";
  return `${e.version} ${e.path} answers ${e.status}${failing}${when}${within}`;
}

export const probe = { describe: describeProbe, judge: judgeProbe } satisfies ExpectationKind<"probe">;
