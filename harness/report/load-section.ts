import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { esc } from "./html.js";
import type { RunResults } from "./results.js";

type Second = Stamped<Extract<TimelineEvent, { type: "load.second" }>>;

/**
 * What the load did, with units: each phase (requests, achieved rate, why it
 * stopped, its thresholds) and each version it reached (requests, failures,
 * the median and the worst of its per-second p95). Empty without load.
 */
export function loadSection(r: RunResults, events: readonly Stamped<TimelineEvent>[]): string {
  if (r.load.length === 0) return "";
  const pct = (failed: number, requests: number) => (requests === 0 ? "n/a" : `${((100 * failed) / requests).toFixed(2)} %`);
  const phases = r.load
    .map(
      (p) =>
        `<tr><td>${esc(p.phase)}</td><td>${p.requests}</td><td>${p.failed} (${pct(p.failed, p.requests)})</td><td>${p.achievedRate.toFixed(1)} req/s</td><td>${esc(p.stoppedBy)}</td><td>${p.thresholds.map((t) => `${t.pass ? "✓" : "✗"} ${esc(t.metric)} ${esc(t.expression)}: ${esc(String(Math.round(t.observed * 1000) / 1000))}`).join("<br>") || "none"}</td></tr>`,
    )
    .join("\n");
  const seconds = events.filter((e): e is Second => e.type === "load.second" && e.requests > 0);
  const versions = [...new Set(seconds.map((s) => s.version))].sort((a, b) => (a === "*" ? 1 : b === "*" ? -1 : a.localeCompare(b)));
  const rows = versions
    .map((v) => {
      const mine = seconds.filter((s) => s.version === v);
      const requests = mine.reduce((a, s) => a + s.requests, 0);
      const failed = mine.reduce((a, s) => a + s.failed, 0);
      const p95s = mine.map((s) => s.p95).sort((a, b) => a - b);
      const median = p95s[Math.floor((p95s.length - 1) / 2)]!;
      return `<tr><td>${v === "*" ? "<b>all</b>" : esc(v)}</td><td>${requests}</td><td>${failed} (${pct(failed, requests)})</td><td>${mine.length} s</td><td>${Math.round(median)} ms</td><td>${Math.round(p95s.at(-1)!)} ms</td></tr>`;
    })
    .join("\n");
  return `<h2>Load</h2>
<table><tr><td><b>phase</b></td><td><b>requests</b></td><td><b>failed</b></td><td><b>achieved rate</b></td><td><b>stopped by</b></td><td><b>thresholds</b></td></tr>${phases}</table>
${rows ? `<table><tr><td><b>version</b></td><td><b>requests</b></td><td><b>failed</b></td><td><b>seconds with traffic</b></td><td><b>p95 per second, median</b></td><td><b>p95 per second, worst</b></td></tr>${rows}</table>` : ""}`;
}
