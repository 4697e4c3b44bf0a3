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
    byVersion,
    seconds: seconds.length > 0 ? { from: Math.min(...seconds), to: Math.max(...seconds) } : undefined,
  };
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
    parts.push(`${seen.dropped} dropped (no answer from the service), expected ${e.dropped.text}`);
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
