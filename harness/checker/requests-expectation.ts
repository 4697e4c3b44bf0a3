import { countSatisfies, formatObserved, satisfies } from "../document/comparison.js";
import { ALL_VERSIONS, NO_VERSION } from "../load/aggregator.js";
import type { Expectation } from "../scenario/scenario.js";
import { judgedWindow, of, type Evidence, type ExpectationKind, type Verdict } from "./evidence.js";

type RequestsExpectation = Extract<Expectation, { kind: "requests" }>;

/** What the load's per-second stream says of the seconds that overlap a window (wall seconds since the run started). */
export function requestsIn(evidence: Evidence, window: { start: number; end: number }) {
  const started = of(evidence.events, "load.started")[0]?.t;
  const rows = started === undefined ? [] : of(evidence.events, "load.second").filter((r) => started + r.second < window.end && started + r.second + 1 > window.start);
  const all = rows.filter((r) => r.version === ALL_VERSIONS);
  const byVersion: Record<string, number> = {};
  for (const r of rows) if (r.version !== ALL_VERSIONS && r.version !== NO_VERSION && r.requests > 0) byVersion[r.version] = (byVersion[r.version] ?? 0) + r.requests;
  const seconds = all.map((r) => r.second);
  return {
    requests: all.reduce((a, r) => a + r.requests, 0),
    failed: all.reduce((a, r) => a + r.failed, 0),
    /** Sent and never answered by the service: a transport error, or the router's own answer (neither carries X-App-Version). */
    dropped: rows.filter((r) => r.version === NO_VERSION).reduce((a, r) => a + r.requests, 0),
    /** What each dropped request got instead of an answer, by second of the load: the transport error, or the router's status. */
    droppedWhy: rows.filter((r) => r.version === NO_VERSION && r.requests > 0).map((r) => ({ second: r.second, why: dropReasons(r) })),
    byVersion,
    seconds: seconds.length > 0 ? { from: Math.min(...seconds), to: Math.max(...seconds) } : undefined,
  };
}

/** "2× EOF, 1× status 503": a dropped second's transport errors by text, then the statuses the router answered itself. */
function dropReasons(r: { codes: Record<string, number>; errors?: Record<string, number> }): string {
  const parts = Object.entries(r.errors ?? {}).map(([text, n]) => `${n}× ${text}`);
  for (const [code, n] of Object.entries(r.codes)) if (code !== "0" && n > 0) parts.push(`${n}× status ${code}`);
  return parts.join(", ") || "no detail";
}

function judgeRequests(e: RequestsExpectation, evidence: Evidence): Verdict {
  const window = judgedWindow(evidence, e.during);
  if (!window) return { held: false, evidence: `step ${e.during} never ran to its end, so its requests were not judged` };
  const seen = requestsIn(evidence, window);
  if (seen.requests === 0) return { held: false, evidence: `the load sent no request${e.during ? ` during ${e.during}` : ""}, so there is nothing to judge` };
  const where = `${seen.requests} requests in seconds ${seen.seconds!.from}-${seen.seconds!.to} of the load${e.during ? ` (those overlapping ${e.during})` : ""}`;
  const parts: string[] = [];
  let held = true;
  if (e.dropped) {
    const ok = countSatisfies(e.dropped, seen.dropped);
    held &&= ok;
    const why = seen.droppedWhy.slice(0, 5).map((d) => `second ${d.second}: ${d.why}`);
    if (seen.droppedWhy.length > 5) why.push(`${seen.droppedWhy.length - 5} more seconds`);
    parts.push(`${seen.dropped} dropped (no answer from the service${why.length > 0 ? `: ${why.join("; ")}` : ""}), expected ${e.dropped.text}`);
  }
  if (e.failed) {
    const rate = seen.failed / seen.requests;
    const ok = satisfies(e.failed, rate);
    held &&= ok;
    parts.push(`${seen.failed} failed (${formatObserved(e.failed, rate)}), expected ${e.failed.text}`);
  }
  if (e.versions) {
    const others = Object.keys(seen.byVersion).filter((v) => !e.versions!.includes(v));
    const answered = Object.values(seen.byVersion).reduce((a, b) => a + b, 0);
    held &&= others.length === 0 && answered > 0;
    parts.push(`answered by ${Object.entries(seen.byVersion).map(([v, n]) => `${v} ×${n}`).join(", ") || "no version"}, expected only ${e.versions.join(", ")}`);
  }
  return { held, evidence: `${where}: ${parts.join("; ")}` };
}

export const requests = {
  describe: (e) =>
    [
      e.dropped ? `${e.dropped.text} requests dropped` : "",
      e.failed ? `failed requests ${e.failed.text}` : "",
      e.versions ? `every answer from ${e.versions.join(" or ")}` : "",
    ]
      .filter(Boolean)
      .join(", ") + (e.during ? ` during ${e.during}` : " over the run"),
  judge: judgeRequests,
} satisfies ExpectationKind<"requests">;
