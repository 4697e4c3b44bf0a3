import { esc } from "../report/html.js";
import { trendOf, type SuiteRecord } from "./record.js";

const MARK: Record<string, string> = { passed: "✓", failed: "✗", inconclusive: "?", error: "E", interrupted: "⏹" };

function counts(s: SuiteRecord): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of s.runs) out[r.verdict] = (out[r.verdict] ?? 0) + 1;
  return out;
}

function countText(s: SuiteRecord): string {
  const c = counts(s);
  return ["passed", "failed", "inconclusive", "error", "interrupted"].filter((v) => c[v]).map((v) => `${c[v]} ${v}`).join(", ") || "nothing ran";
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/**
 * The suite's summary page (index.html in its folder): every run with its
 * verdict, what decided it and a link to its report, then the trend against
 * the suites found before it: each scenario's verdicts, oldest first, and
 * its time against its median there; and each suite's totals.
 */
export function suitePage(s: SuiteRecord, previous: readonly SuiteRecord[]): string {
  const verdict = s.runs.some((r) => r.verdict === "error" || r.verdict === "interrupted") ? "error" : s.runs.some((r) => r.verdict === "failed") ? "failed" : s.runs.some((r) => r.verdict === "inconclusive") ? "inconclusive" : "passed";
  const rows = s.runs
    .map((r) => {
      const trend = trendOf(r.name, previous);
      const before = median(trend.flatMap((t) => (t.wallSeconds === undefined ? [] : [t.wallSeconds])));
      const change = before === undefined || before === 0 ? "" : ` <small>(${r.wallSeconds >= before ? "+" : ""}${Math.round((100 * (r.wallSeconds - before)) / before)}% against ${before.toFixed(1)} s)</small>`;
      const history = trend.map((t) => `<span class="m-${t.verdict ?? "none"}" title="${esc(t.id)}">${t.verdict ? MARK[t.verdict] ?? "?" : "·"}</span>`).join("");
      const e = r.expectations;
      return `<tr class="${r.verdict}"><td class="m-${r.verdict}">${MARK[r.verdict] ?? "?"}</td><td><a href="${esc(r.runDir)}/report.html"><b>${esc(r.name)}</b></a><br><small>${esc(r.platform)}</small></td><td>${esc(r.verdict)}</td><td>${e.held}/${e.held + e.failed + e.inconclusive} held${e.inconclusive ? `, ${e.inconclusive} inconclusive` : ""}</td><td>${r.wallSeconds.toFixed(1)} s${change}</td><td>${esc(r.story)}${(r.earlier ?? []).map((a, i) => `<br><small><a href="${esc(a.runDir)}/report.html">attempt ${i + 1}</a>: inconclusive</small>`).join("")}</td><td class="trend">${history}<b class="m-${r.verdict}">${MARK[r.verdict] ?? "?"}</b></td></tr>`;
    })
    .join("\n");
  const suites = [...previous, s]
    .map((x) => `<tr${x === s ? ' class="current"' : ""}><td>${x === s ? esc(x.id) : `<a href="../${esc(x.id)}/index.html">${esc(x.id)}</a>`}</td><td>${esc(x.startedAt)}</td><td>${esc(x.harness.commit)}</td><td>${esc(countText(x))}</td><td>${x.wallSeconds.toFixed(0)} s</td></tr>`)
    .join("\n");
  const skipped = s.skipped.map((k) => `<li><b>${esc(k.name)}</b>: ${esc(k.reason)}</li>`).join("");
  const f = s.filter;
  const filter = [f.tags.length ? `tags ${f.tags.join(", ")}` : "", f.names.length ? `names ${f.names.join(", ")}` : "", f.platform ? `platform ${f.platform}` : "each scenario on its own platform"].filter(Boolean).join("; ");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(s.id)}: ${verdict}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#111}
h1 .verdict{padding:2px 10px;border-radius:6px;color:#fff}
.verdict.passed{background:#16a34a}.verdict.failed,.verdict.error{background:#dc2626}.verdict.inconclusive{background:#b45309}
table{border-collapse:collapse;width:100%}td{border-top:1px solid #e5e7eb;padding:6px;vertical-align:top}
tr.failed,tr.error,tr.interrupted{background:#fef2f2}tr.inconclusive{background:#fffbeb}tr.current{font-weight:600}
.trend span,.trend b{display:inline-block;width:1.1em;text-align:center}
.m-passed{color:#16a34a}.m-failed,.m-error,.m-interrupted{color:#dc2626}.m-inconclusive{color:#b45309}.m-none{color:#9ca3af}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{color:#6b7280}
</style></head><body>
<h1>${esc(s.id)} <span class="verdict ${verdict}">${verdict}</span></h1>
<dl><dt>result</dt><dd>${esc(countText(s))} (exit ${s.exitCode})</dd><dt>started</dt><dd>${esc(s.startedAt)}</dd><dt>took</dt><dd>${s.wallSeconds.toFixed(0)} s</dd>
<dt>selection</dt><dd>${esc(filter)}</dd><dt>harness</dt><dd>commit ${esc(s.harness.commit)}, Node.js ${esc(s.harness.node)}</dd><dt>host</dt><dd>${esc(s.harness.host)}: ${s.harness.cores} cores, ${s.harness.memoryGiB} GiB</dd></dl>
<h2>Runs</h2>
<table><tr><td></td><td><b>scenario</b></td><td><b>verdict</b></td><td><b>expectations</b></td><td><b>time</b></td><td><b>what decided it</b></td><td><b>trend</b> <small>(earlier suites, oldest first; this one last)</small></td></tr>
${rows}</table>
${skipped ? `<h2>Skipped</h2><ul>${skipped}</ul>` : ""}
<h2>Suites</h2>
<table><tr><td><b>suite</b></td><td><b>started</b></td><td><b>commit</b></td><td><b>result</b></td><td><b>time</b></td></tr>
${suites}</table>
<p><a href="junit.xml">junit.xml</a> (a suite per run) · <a href="suite.json">suite.json</a></p>
</body></html>
`;
}
