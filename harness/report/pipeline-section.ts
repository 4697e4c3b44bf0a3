import { esc } from "./html.js";
import type { RunResults } from "./results.js";

/**
 * A pipeline run: where the release went, stage by stage (each stage's own
 * report linked), where and why the promotion stopped, and the approval
 * gate's decision with every approval it counted or refused and why.
 */
export function pipelineSection(r: RunResults): string {
  const p = r.pipeline;
  if (!p) return "";
  const rows = p.stages.map((s) => {
    const cls = s.status === "passed" ? "held" : s.status === "skipped" ? "" : s.status === "inconclusive" ? "inconclusive" : "failed";
    const mark = s.status === "passed" ? "✓" : s.status === "skipped" ? "–" : s.status === "inconclusive" ? "?" : "✗";
    const run = s.run ? `<a href="${esc(s.run.dir)}/report.html">${esc(s.run.runId)}</a> (${s.run.wallSeconds.toFixed(1)} s, exit ${s.run.exitCode})` : "not run";
    return `<tr class="${cls}"><td>${mark}</td><td><b>${esc(s.environment)}</b><br>${esc(s.check)} on ${esc(s.database)}</td><td>${esc(s.status)}${s.gate ? `<br><small>gate ${s.gate.granted ? "granted" : "refused"}</small>` : ""}</td><td>${esc(s.reason)}</td><td>${run}</td></tr>`;
  });
  const gates = p.stages
    .filter((s) => s.gate)
    .map((s) => {
      const g = s.gate!;
      const approvals = [
        ...g.counted.map((a) => `<tr class="held"><td>✓</td><td>${esc(a.by)} (${esc(a.group)})</td><td>${esc(a.release)}</td><td>${esc(a.at)}</td><td>${esc(a.source ?? "scenario")}</td><td>counted${a.comment ? `: “${esc(a.comment)}”` : ""}</td></tr>`),
        ...g.refused.map((x) => `<tr class="failed"><td>✗</td><td>${esc(x.approval.by)} (${esc(x.approval.group)})</td><td>${esc(x.approval.release)}</td><td>${esc(x.approval.at)}</td><td>${esc(x.approval.source ?? "scenario")}</td><td><b>${esc(x.code)}</b>: ${esc(x.reason)}</td></tr>`),
      ];
      return `<h3>Approval gate before ${esc(s.environment)}: ${g.granted ? "granted" : "refused"}</h3>
<p>${esc(g.reason)}</p>
${approvals.length ? `<table><tr><td></td><td><b>by</b></td><td><b>release</b></td><td><b>given at</b></td><td><b>from</b></td><td><b>judged</b></td></tr>\n${approvals.join("\n")}</table>` : "<p>No approval was given.</p>"}`;
    });
  return `<h2>Pipeline</h2>
<p>Branch <b>${esc(p.branch)}</b>, release <b>${esc(p.release)}</b> (${esc(p.version)}${p.production ? `; production ran ${esc(p.production)}` : ""}): <b>${esc(p.outcome)}</b>${p.stoppedAt ? ` at <b>${esc(p.stoppedAt)}</b>` : ""}. ${esc(p.reason)}</p>
<table><tr><td></td><td><b>stage</b></td><td><b>status</b></td><td><b>why</b></td><td><b>its run</b></td></tr>
${rows.join("\n")}</table>
${gates.join("\n")}`;
}
