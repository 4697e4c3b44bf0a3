import { plotAssets } from "../report/charts.js";
import { esc } from "../report/html.js";

/**
 * The live page: the run's progress lines and the report's plots as the run
 * goes (server-sent events), and the operator's desk. Everything it does
 * goes through the token-checked API; what it shows comes from the stream.
 */
export function livePage(o: { scenario: string; platform: string; timeScale: number; faults: Array<{ type: string; summary: string }> }): string {
  const options = o.faults.map((f) => `<option value="${esc(f.type)}" title="${esc(f.summary)}">${esc(f.type)}</option>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${esc(o.scenario)}: live game day</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:20px auto;max-width:1100px;color:#111}
#status{padding:2px 10px;border-radius:6px;color:#fff;background:#2563eb}#status.passed{background:#16a34a}#status.failed,#status.error,#status.interrupted{background:#dc2626}#status.inconclusive{background:#b45309}
.desk{display:grid;grid-template-columns:max-content 1fr;gap:6px 10px;align-items:center;border:1px solid #e5e7eb;border-radius:8px;padding:10px;margin:12px 0}
.desk input[type=text]{width:100%;box-sizing:border-box;font:13px ui-monospace,monospace;padding:4px}
button{font:inherit;padding:3px 12px;cursor:pointer}button#abort{background:#dc2626;color:#fff;border:0;border-radius:4px}
#message{min-height:1.4em;font-size:13px}#message.error{color:#dc2626}
#log{font:12px/1.4 ui-monospace,monospace;max-height:320px;overflow:auto;background:#f9fafb;border:1px solid #e5e7eb;padding:6px 10px;list-style:none;margin:0}
#log li.operator{color:#7c3aed;font-weight:600}
figure{margin:14px 0}figcaption{font-weight:600;margin-bottom:4px}
</style></head><body>
<h1>${esc(o.scenario)} <span id="status">connecting</span></h1>
<p>Live game day on ${esc(o.platform)}, time scale ${o.timeScale}. <span id="finished"></span></p>
<div class="desk">
  <label for="fault-type">inject a fault</label>
  <div><select id="fault-type">${options}</select> <input type="text" id="fault-params" placeholder="role: stable (the rest of a scenario step's fault: mapping)" style="width:60%"> <button id="inject">Inject</button></div>
  <span>injected by hand</span><div id="injected">none</div>
  <label for="mark-text">mark an observation</label>
  <div><input type="text" id="mark-text" placeholder="what you saw" style="width:70%"> <button id="mark">Mark</button></div>
  <span>the run</span><div><button id="abort">Abort the run</button> <small>(interrupted, exit 130, everything it started is removed)</small></div>
  <span></span><div id="message"></div>
</div>
<h2>Timeline</h2>
<ol id="log"></ol>
<div id="plots"></div>
${plotAssets()}
<script>
(() => {
  const token = new URLSearchParams(location.search).get("token");
  const $ = (id) => document.getElementById(id);
  const say = (text, error) => { $("message").textContent = text; $("message").className = error ? "error" : ""; };
  const post = async (action, body) => {
    try {
      const r = await fetch("/api/" + action, { method: "POST", headers: { "content-type": "application/json", "x-gameday-token": token }, body: JSON.stringify(body) });
      const j = await r.json();
      if (!r.ok) { say(j.error + (j.hint ? " (" + j.hint + ")" : ""), true); return undefined; }
      return j;
    } catch (e) { say(String(e), true); return undefined; }
  };
  $("inject").onclick = async () => {
    const r = await post("fault", { type: $("fault-type").value, params: $("fault-params").value });
    if (r) say("injected " + r.id + ": " + r.detail);
  };
  $("mark").onclick = async () => {
    if (await post("mark", { text: $("mark-text").value })) { say("marked"); $("mark-text").value = ""; }
  };
  $("abort").onclick = async () => { if (await post("abort", {})) say("aborting: the run is removing what it started"); };
  window.gamedayEvents = [];
  const events = new EventSource("/events?token=" + encodeURIComponent(token));
  events.addEventListener("open", () => { if ($("status").textContent === "connecting") $("status").textContent = "running"; });
  events.addEventListener("timeline", (m) => {
    const { event, line } = JSON.parse(m.data);
    window.gamedayEvents.push(event);
    if (!line) return;
    const li = document.createElement("li");
    li.dataset.type = event.type;
    li.dataset.t = String(event.t);
    if (event.type === "operator.acted") li.className = "operator";
    li.textContent = line;
    const log = $("log"), atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.appendChild(li);
    if (atEnd) log.scrollTop = log.scrollHeight;
  });
  events.addEventListener("charts", (m) => {
    const data = JSON.parse(m.data);
    const plots = $("plots");
    plots.replaceChildren(...data.charts.map((c) => {
      const f = document.createElement("figure"), cap = document.createElement("figcaption"), d = document.createElement("div");
      cap.textContent = c.title; d.className = "plot"; d.id = c.id; d.dataset.title = c.title;
      f.append(cap, d);
      return f;
    }));
    if (data.charts.length > 0) window.gamedayRender(data);
  });
  events.addEventListener("desk", (m) => {
    const { state, injected } = JSON.parse(m.data);
    for (const id of ["inject", "mark", "abort"]) $(id).disabled = state === "closed";
    $("injected").replaceChildren(...(injected.length === 0 ? [document.createTextNode("none")] : injected.map((f) => {
      const s = document.createElement("span"), b = document.createElement("button");
      s.textContent = f.id + " (" + f.fault + ") ";
      b.textContent = "Undo"; b.dataset.id = f.id;
      b.onclick = async () => { if (await post("undo", { id: f.id })) say("undone " + f.id); };
      s.appendChild(b);
      return s;
    })));
  });
  events.addEventListener("finished", (m) => {
    const { verdict, exitCode, report } = JSON.parse(m.data);
    $("status").textContent = verdict; $("status").className = verdict;
    $("finished").textContent = "The run is over (exit " + exitCode + "): its report is " + report + ".";
    events.close();
  });
})();
</script>
</body></html>
`;
}
