import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { esc } from "./html.js";
import { headroomSection } from "./headroom-section.js";
import { recoverySection } from "./recovery-section.js";
import type { RunResults } from "./results.js";

/** A self-contained report.html for people: verdict, expectations with evidence, and plots of the run. */
export function writeHtmlReport(dir: string, results: RunResults, events: readonly Stamped<TimelineEvent>[], logs: readonly string[]): void {
  writeFileSync(join(dir, "report.html"), htmlReport(results, events, logs));
}

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];


interface Series {
  name: string;
  points: Array<[number, number]>;
}

interface Marker {
  t: number;
  label: string;
  color: string;
}

/** A line chart as inline SVG: time on x (wall seconds since the run started), markers as vertical lines. */
export function lineChart(title: string, unit: string, series: readonly Series[], markers: readonly Marker[], tEnd: number, colorOf: (name: string, i: number) => string = (_, i) => COLORS[i % COLORS.length]!): string {
  const W = 860;
  const H = 220;
  const pad = { l: 56, r: 12, t: 24, b: 28 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return "";
  const tMin = Math.min(...all.map((p) => p[0]), ...markers.map((m) => m.t));
  const tMax = Math.max(tEnd, ...all.map((p) => p[0]));
  const yMax = Math.max(...all.map((p) => p[1]), 1e-9) * 1.1;
  const x = (t: number) => pad.l + ((t - tMin) / Math.max(tMax - tMin, 1e-9)) * (W - pad.l - pad.r);
  const y = (v: number) => H - pad.b - (v / yMax) * (H - pad.t - pad.b);
  const lines = series.map((s, i) => {
    const d = s.points.map(([t, v], j) => `${j === 0 ? "M" : "L"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    return `<path d="${d}" fill="none" stroke="${colorOf(s.name, i)}" stroke-width="1.8"/>`;
  });
  const marks = markers.map(
    (m) => `<line x1="${x(m.t)}" x2="${x(m.t)}" y1="${pad.t}" y2="${H - pad.b}" stroke="${m.color}" stroke-dasharray="4 3"/><text x="${x(m.t) + 3}" y="${pad.t + 10}" font-size="10" fill="${m.color}">${esc(m.label)}</text>`,
  );
  const ticks = [0, 0.5, 1].map((f) => {
    const v = (yMax / 1.1) * f;
    return `<text x="${pad.l - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${esc(formatValue(v, unit))}</text><line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`;
  });
  const xTicks = [tMin, (tMin + tMax) / 2, tMax].map((t) => `<text x="${x(t)}" y="${H - 8}" font-size="10" text-anchor="middle">${t.toFixed(1)}s</text>`);
  const legend = series.map((s, i) => `<span style="color:${colorOf(s.name, i)}">■ ${esc(s.name)}</span>`).join(" ");
  return `<figure><figcaption>${esc(title)} ${legend}</figcaption><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}">${ticks.join("")}${lines.join("")}${marks.join("")}${xTicks.join("")}</svg></figure>`;
}

function formatValue(v: number, unit: string): string {
  if (unit === "%") return `${v.toFixed(v < 10 ? 1 : 0)}%`;
  if (unit === "ms") return `${Math.round(v)}ms`;
  return String(Math.round(v * 100) / 100);
}

function markersOf(events: readonly Stamped<TimelineEvent>[]): Marker[] {
  const out: Marker[] = [];
  for (const e of events) {
    if (e.type === "stage.started") out.push({ t: e.t, label: `${e.stage} ${e.percentage}%`, color: "#6b7280" });
    if (e.type === "fault.injected") out.push({ t: e.t, label: `fault ${e.fault}`, color: "#ea580c" });
    if (e.type === "fault.undone") out.push({ t: e.t, label: "undone", color: "#16a34a" });
    if (e.type === "instance.restarted") out.push({ t: e.t, label: `${e.role}-${e.instance} restart ${e.restarts}`, color: "#9333ea" });
    if (e.type === "rollback.decided") out.push({ t: e.t, label: `rollback: ${e.trigger}`, color: "#dc2626" });
    if (e.type === "stage.inconclusive") out.push({ t: e.t, label: `${e.stage} inconclusive`, color: "#ca8a04" });
    if (e.type === "action.performed") out.push({ t: e.t, label: e.action, color: "#7c3aed" });
    if (e.type === "backup.taken" && e.kind === "database") out.push({ t: e.t, label: `backup ${e.id.replace(/-database$/, "")}`, color: "#0891b2" });
    if (e.type === "recovery.phase" && (e.phase === "disaster" || e.phase === "service-ready" || e.phase === "first-write")) {
      out.push({ t: e.t, label: e.phase, color: e.phase === "disaster" ? "#dc2626" : "#16a34a" });
    }
  }
  return out;
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

type PodsState = Stamped<Extract<TimelineEvent, { type: "pods.observed" }>>;

/** kind runs: the live Deployments as recorded after their rollouts, ready pods over time, and every change the API server reported. */
function kubernetesSection(events: readonly Stamped<TimelineEvent>[], markers: readonly Marker[], tEnd: number, colorOf: (name: string, i: number) => string): string {
  const deployments = events.filter((e): e is Stamped<Extract<TimelineEvent, { type: "deployment.observed" }>> => e.type === "deployment.observed");
  const states = events.filter((e): e is PodsState => e.type === "pods.observed");
  if (deployments.length === 0 && states.length === 0) return "";
  const probe = (p: { path: string; port: number | string; initialDelaySeconds: number; periodSeconds: number } | null) =>
    p ? `${esc(p.path)}:${esc(String(p.port))} after ${p.initialDelaySeconds}s, every ${p.periodSeconds}s` : "none";
  const deploymentRows = deployments
    .map(
      ({ role, source, deployment: d }) =>
        `<tr><td>${esc(role)}</td><td>${esc(d.name)}<br><small>${esc(source)}</small></td><td>${d.readyReplicas}/${d.replicas}</td><td>${esc(Object.entries(d.limits).map(([k, v]) => `${k} ${v}`).join(", ") || "none")}</td><td>liveness ${probe(d.liveness)}<br>readiness ${probe(d.readiness)}</td></tr>`,
    )
    .join("\n");
  const roles = [...new Set(states.map((s) => s.role))];
  // Observed on change: each state holds until the next, so the chart steps.
  const series = roles.map((role) => {
    const mine = states.filter((s) => s.role === role);
    const points: Array<[number, number]> = [];
    mine.forEach((s, i) => {
      const ready = s.pods.filter((p) => p.ready).length;
      points.push([s.t, ready]);
      points.push([mine[i + 1]?.t ?? tEnd, ready]);
    });
    return { name: role, points };
  });
  const stateRows = states
    .map(
      (s) =>
        `<tr><td>${s.t.toFixed(1)} s</td><td>${esc(s.role)}</td><td>${s.pods.filter((p) => p.ready).length}/${s.pods.length}</td><td>${s.endpoints}</td><td>${s.pods.map((p) => `${esc(p.name.replace(/^.*-/, ""))} ${p.ready ? "ready" : "unready"}, ${p.restarts} restart(s), ${esc(p.version)}`).join("<br>")}</td></tr>`,
    )
    .join("\n");
  return `<h2>Kubernetes</h2>
${deploymentRows ? `<table><tr><td><b>role</b></td><td><b>Deployment</b></td><td><b>ready</b></td><td><b>limits</b></td><td><b>probes</b></td></tr>${deploymentRows}</table>` : ""}
${states.length ? lineChart("Ready pods per role (API server)", "pods", series, markers, tEnd, colorOf) : ""}
${stateRows ? `<details><summary>Every change of the pods and Service endpoints the API server reported (${states.length})</summary><table><tr><td><b>t</b></td><td><b>role</b></td><td><b>ready</b></td><td><b>endpoints</b></td><td><b>pods</b></td></tr>${stateRows}</table></details>` : ""}`;
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
  const markers = markersOf(events);
  const tEnd = events.at(-1)?.t ?? 0;
  // One color per role, used for the role and for the version it runs, in every chart.
  const roles = Object.keys(r.versions);
  const colorOf = (name: string, i: number) => {
    const role = roles.indexOf(name) >= 0 ? roles.indexOf(name) : roles.findIndex((k) => r.versions[k] === name);
    return COLORS[(role >= 0 ? role : roles.length + i) % COLORS.length]!;
  };
  const charts: string[] = [];

  const shares = events.filter((e): e is Stamped<Extract<TimelineEvent, { type: "router.observed" }>> => e.type === "router.observed");
  if (shares.length > 0) {
    const shareRoles = [...new Set(shares.flatMap((s) => Object.keys(s.shares)))];
    charts.push(lineChart("Traffic share read back from the router", "%", shareRoles.map((role) => ({ name: role, points: shares.map((s) => [s.t, s.shares[role] ?? 0] as [number, number]) })), markers, tEnd, colorOf));
  }
  const started = events.find((e) => e.type === "load.started")?.t;
  const seconds = events.filter((e): e is Stamped<Extract<TimelineEvent, { type: "load.second" }>> => e.type === "load.second" && e.version !== "*");
  if (started !== undefined && seconds.length > 0) {
    const versions = [...new Set(seconds.map((s) => s.version))];
    const per = (f: (s: (typeof seconds)[number]) => number) =>
      versions.map((v) => ({ name: v, points: seconds.filter((s) => s.version === v && s.requests > 0).map((s) => [started + s.second, f(s)] as [number, number]) }));
    charts.push(lineChart("Error rate per second, by version (load generator)", "%", per((s) => (100 * s.failed) / s.requests), markers, tEnd, colorOf));
    charts.push(lineChart("p95 latency per second, by version (load generator)", "ms", per((s) => s.p95), markers, tEnd, colorOf));
  }
  const analyses = events.filter((e): e is Stamped<Extract<TimelineEvent, { type: "analysis.evaluated" }>> => e.type === "analysis.evaluated");
  if (analyses.length > 0) {
    charts.push(
      lineChart(
        "Candidate error rate as the controller's analysis saw it (Prometheus)",
        "%",
        [{ name: analyses[0]!.version, points: analyses.filter((a) => a.errorRate !== null).map((a) => [a.t, 100 * a.errorRate!] as [number, number]) }],
        markers,
        tEnd,
        colorOf,
      ),
    );
  }

  const kubernetes = kubernetesSection(events, markers, tEnd, colorOf);
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
<dl><dt>run</dt><dd>${esc(r.runId)}</dd><dt>file</dt><dd>${esc(r.file)}</dd><dt>platform</dt><dd>${esc(r.platform)}</dd>
<dt>versions</dt><dd>${Object.entries(r.versions).map(([k, v]) => `${esc(k)}: ${esc(v)}`).join(", ")}</dd>
<dt>time scale</dt><dd>${r.timeScale} (spec time ${r.specSeconds.toFixed(0)} s, wall time ${r.wallSeconds.toFixed(1)} s)</dd><dt>seed</dt><dd>${r.seed ?? "not recorded"} (<code>--seed ${r.seed ?? "N"}</code> replays it)</dd><dt>exit code</dt><dd>${r.exitCode}</dd>${budgetRow(r)}</dl>
${error}${rollback}${inconclusive}
<h2>Expectations</h2>
<table>${rows || "<tr><td>no expectation was judged</td></tr>"}</table>
${charts.length ? `<h2>Timeline</h2>${charts.join("\n")}` : ""}
${analysisTable}
${recoverySection(events)}
${kubernetes}
${headroomSection(r, events, (title, unit, series) => lineChart(title, unit, series, markers, tEnd))}
<h2>Evidence files</h2>
<ul><li><a href="events.jsonl">events.jsonl</a> (the timeline)</li><li><a href="results.json">results.json</a></li><li><a href="junit.xml">junit.xml</a></li>
${logs.map((l) => `<li><a href="logs/${encodeURIComponent(l)}">logs/${esc(l)}</a></li>`).join("")}</ul>
</body></html>
`;
}
