import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { Charts, paletteColor, roleColors } from "./charts.js";
import { esc } from "./html.js";
import { headroomSection } from "./headroom-section.js";
import { kubernetesSection } from "./kubernetes-section.js";
import { loadSection } from "./load-section.js";
import { markersOf, trafficCharts } from "./timeline-charts.js";
import { recoverySection } from "./recovery-section.js";
import { auditSection } from "./audit-section.js";
import { pipelineSection } from "./pipeline-section.js";
import type { RunResults } from "./results.js";

/** A self-contained report.html for people: verdict, expectations with evidence, and plots of the run. */
export function writeHtmlReport(dir: string, results: RunResults, events: readonly Stamped<TimelineEvent>[], logs: readonly string[]): void {
  writeFileSync(join(dir, "report.html"), htmlReport(results, events, logs));
}



type Analysis = Stamped<Extract<TimelineEvent, { type: "analysis.evaluated" }>>;

/** Every analysis of the candidate: what its window held, each figure with its 95% interval, and the window's verdict. */
function analysesTable(analyses: readonly Analysis[]): string {
  if (analyses.length === 0) return "";
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const ci = (i: number[] | undefined, f: (x: number) => string) => (i && i.length === 2 ? ` <small>(95% CI ${f(i[0]!)}–${f(i[1]!)})</small>` : "");
  const rows = analyses.map(
    (a) =>
      `<tr class="${a.verdict === "breach" ? "failed" : "held"}"><td>${a.t.toFixed(1)} s</td><td>${esc(a.stage)}</td><td>${a.requests}</td><td>${a.errorRate === null ? "n/a" : pct(a.errorRate)}${ci(a.errorRateInterval, pct)}</td><td>${a.latencyMs === null ? "n/a" : `${Math.round(a.latencyMs)}ms`}${ci(a.latencyInterval, (x) => `${Math.round(x)}ms`)}</td><td>${esc(a.verdict ?? "")}${a.why ? `<br><small>${esc(a.why)}</small>` : ""}</td></tr>`,
  );
  return `<h2>Analyses</h2>
<table><tr><td><b>wall</b></td><td><b>stage</b></td><td><b>requests</b></td><td><b>error rate</b></td><td><b>${esc(analyses[0]!.statistic)}</b></td><td><b>verdict</b></td></tr>
${rows.join("\n")}</table>`;
}

/** The harness's commit and the machine it ran on. */
function harnessRows(r: RunResults): string {
  const h = r.harness;
  return h ? `<dt>harness</dt><dd>commit ${esc(h.commit)}, Node.js ${esc(h.node)}</dd><dt>host</dt><dd>${esc(h.host)}: ${h.cores} cores, ${h.memoryGiB} GiB</dd>` : "";
}

/** How to read the plots: their two time axes, steps, gaps and lines. */
function timeNote(r: RunResults): string {
  const axes =
    r.timeScale === 1
      ? "Wall seconds since the run started (time scale 1: the document's times are wall times here)."
      : `Bottom axis: wall seconds since the run started; top axis: the document's spec time (time scale ${r.timeScale}: a spec second took ${r.timeScale} wall seconds).`;
  return `<p>${axes} Per-second figures are steps over their second, with gaps where a version had no traffic; a single value is a dot. Dotted lines are the rollback triggers and each stage's criteria; dashed lines mark the run's events.</p>
`;
}

/** The run's share of the machine, and a warning when it started without one (--no-wait). */
function budgetRow(r: RunResults): string {
  const b = r.budget;
  if (!b) return "";
  const share = `${b.cores} of ${b.machineCores} cores (${esc(b.detail)})${b.waitedSeconds > 0 ? `, after waiting ${b.waitedSeconds.toFixed(1)} s for other runs` : ""}`;
  const risk = !b.fit ? `<br><b>started with --no-wait beside ${esc(b.beside.join(", "))}, at its own risk: the machine's budget did not fit both</b>` : b.beside.length > 0 ? `<br>beside ${esc(b.beside.join(", "))}` : "";
  return `<dt>machine share</dt><dd>${share}${risk}</dd>`;
}

export function htmlReport(r: RunResults, events: readonly Stamped<TimelineEvent>[], logs: readonly string[]): string {
  const tEnd = events.at(-1)?.t ?? 0;
  // One color per role, used for the role and for the version it runs, in every chart.
  const colorOf = roleColors(r.versions);
  const plots = new Charts({ markers: markersOf(events), tEnd, timeScale: r.timeScale });
  const charts = trafficCharts(events, colorOf).map((c) => plots.add(c));
  const analyses = events.filter((e): e is Analysis => e.type === "analysis.evaluated");
  const operator = events.filter((e) => e.type === "operator.acted") as Array<Stamped<Extract<TimelineEvent, { type: "operator.acted" }>>>;
  const operatorTable = operator.length
    ? `<h2>The operator (live game day)</h2>
<table><tr><td><b>wall</b></td><td><b>spec</b></td><td><b>action</b></td><td><b>what</b></td></tr>
${operator.map((e) => `<tr><td>${e.t.toFixed(1)} s</td><td>${e.specT.toFixed(1)} s</td><td>${esc(e.action)}${e.id ? ` ${esc(e.id)}` : ""}</td><td>${esc(e.detail)}</td></tr>`).join("\n")}</table>`
    : "";
  const kubernetes = kubernetesSection(events, tEnd, plots, colorOf);
  const analysisTable = analysesTable(analyses);

  const rows = r.expectations
    .map((e) => `<tr class="${e.held ? "held" : e.inconclusive ? "inconclusive" : "failed"}"><td>${e.held ? "✓" : e.inconclusive ? "?" : "✗"}</td><td><b>${esc(e.id)}</b><br>${esc(e.description)}</td><td>${esc(e.evidence)}${e.inconclusive ? `<br><i>inconclusive: ${esc(e.inconclusive)}</i>` : ""}</td></tr>`)
    .join("\n");
  const rollback = r.rollback
    ? `<p><b>Rollback</b> during <b>${esc(r.rollback.stage)}</b> by <b>${esc(r.rollback.trigger)}</b> (${esc(r.rollback.source)}, ${esc(r.rollback.strategy)}): ${esc(r.rollback.reason)}. Detected ${r.rollback.detectedAfterSeconds ?? "n/a"} s after the first bad request; traffic back on stable ${r.rollback.completedAfterSeconds} s after the decision.</p>`
    : "";
  const inconclusive = r.strategy?.inconclusive
    ? `<p><b>Inconclusive</b> at <b>${esc(r.strategy.inconclusive.stage)}</b>: ${esc(r.strategy.inconclusive.reason)}. The promotion stopped there and traffic went back to stable.</p>`
    : "";
  const error = r.error ? `<p class="failed"><b>${esc(r.error.code)}</b>: ${esc(r.error.message)}${r.error.hint ? `<br>hint: ${esc(r.error.hint)}` : ""}</p>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.scenario)}: ${r.verdict}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:920px;color:#111}
h1 .verdict{padding:2px 10px;border-radius:6px;color:#fff}
.passed{background:#16a34a}.failed,.error,.interrupted{background:#dc2626}.inconclusive{background:#b45309}
table{border-collapse:collapse;width:100%}td{border-top:1px solid #e5e7eb;padding:6px;vertical-align:top}
tr.held td:first-child{color:#16a34a}tr.failed td:first-child{color:#dc2626}tr.failed{background:#fef2f2}tr.inconclusive td:first-child{color:#b45309}tr.inconclusive{background:#fffbeb}
p.failed{color:#fff;padding:8px;border-radius:6px}
figure{margin:18px 0}figcaption{font-weight:600;margin-bottom:4px}figcaption span{font-weight:400;margin-left:8px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{color:#6b7280}
</style></head><body>
<h1>${esc(r.scenario)} <span class="verdict ${r.verdict}">${r.verdict}</span></h1>
<dl><dt>run</dt><dd>${esc(r.runId)}</dd><dt>started</dt><dd>${esc(r.startedAt)}</dd>${harnessRows(r)}<dt>file</dt><dd>${esc(r.file)}</dd><dt>platform</dt><dd>${esc(r.platform)}</dd>
<dt>versions</dt><dd>${Object.entries(r.versions).map(([k, v]) => `${esc(k)}: ${esc(v)}`).join(", ")}</dd>
<dt>time scale</dt><dd>${r.timeScale} (spec time ${r.specSeconds.toFixed(0)} s, wall time ${r.wallSeconds.toFixed(1)} s)</dd><dt>seed</dt><dd>${r.seed ?? "not recorded"} (<code>--seed ${r.seed ?? "N"}</code> replays it)</dd><dt>exit code</dt><dd>${r.exitCode}</dd>${budgetRow(r)}</dl>
${error}${rollback}${inconclusive}
${operatorTable}
${pipelineSection(r)}
<h2>Expectations</h2>
<table>${rows || "<tr><td>no expectation was judged</td></tr>"}</table>
${loadSection(r, events)}
${charts.length ? `<h2>Timeline</h2>${timeNote(r)}${charts.join("\n")}` : ""}
${analysisTable}
${recoverySection(events)}
${auditSection(r)}
${kubernetes}
${headroomSection(r, events, (title, unit, series) => plots.add({ title, unit, series: series.map((s, i) => ({ ...s, color: paletteColor(i), kind: "line" as const })) }))}
<h2>Evidence files</h2>
<ul><li><a href="events.jsonl">events.jsonl</a> (the timeline)</li><li><a href="results.json">results.json</a></li><li><a href="junit.xml">junit.xml</a></li>
${logs.map((l) => `<li><a href="logs/${encodeURIComponent(l)}">logs/${esc(l)}</a></li>`).join("")}
${(r.sboms ?? []).map((b) => `<li><a href="${b.file.split("/").map(encodeURIComponent).join("/")}">${esc(b.file)}</a> (software bill of materials of ${esc(b.ref)}: ${b.packages} packages, SPDX JSON by syft)</li>`).join("")}</ul>
${plots.html()}
</body></html>
`;
}
