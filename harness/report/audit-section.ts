import type { RunResults } from "./results.js";
import { esc } from "./html.js";

const hours = (h: number | null) => (h === null ? "no data yet" : h < 1 ? `${Math.round(h * 60)} min` : h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} days`);

/**
 * The run in the audit trail: the records it appended, the trail's head after
 * them, and the four DORA measures of its environment over every run there
 * so far (from the same trail). Empty for a run that appended nothing.
 */
export function auditSection(r: RunResults): string {
  const a = r.audit;
  if (!a) return "";
  if (a.error) return `<h2>Audit trail</h2><p class="failed"><b>not recorded</b>: ${esc(a.error)}</p>`;
  if (a.records.length === 0) return "";
  const d = a.dora;
  const dora = d
    ? `<h3>Delivery in ${esc(d.environment)}, every run so far (DORA)</h3>
<table><tr><td>deployments</td><td>${d.deployments}</td></tr>
<tr><td>deployment frequency</td><td>${d.deploymentsPerDay === null ? "no data yet" : `${d.deploymentsPerDay.toFixed(2)} per day`}</td></tr>
<tr><td>lead time for changes (a version's first deployment anywhere to its first success here, median)</td><td>${hours(d.leadTimeHours)}</td></tr>
<tr><td>change failure rate (rolled back or failed, of those judged)</td><td>${d.changeFailureRate === null ? "no data yet" : `${Math.round(d.changeFailureRate * 100)}%`}</td></tr>
<tr><td>time to restore (a failure to the next success, median)</td><td>${hours(d.timeToRestoreHours)}</td></tr></table>`
    : "";
  return `<h2>Audit trail</h2>
<p>Records ${a.records.map((n) => `#${n}`).join(", ")} appended; the trail's head after them: seq ${a.head?.seq ?? "?"}, <code>${esc(a.head?.chain.slice(0, 16) ?? "")}…</code> (<code>npm run audit -- verify</code> checks the trail; <a href="metrics.prom">metrics.prom</a> holds the document's deployment metrics).</p>
${dora}`;
}
