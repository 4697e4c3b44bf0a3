import type { Stamped, TimelineEvent } from "../timeline/events.js";
import type { Charts } from "./charts.js";
import { esc } from "./html.js";

type PodsState = Stamped<Extract<TimelineEvent, { type: "pods.observed" }>>;

/** kind runs: the live Deployments as recorded after their rollouts, ready pods over time, and every change the API server reported. */
export function kubernetesSection(events: readonly Stamped<TimelineEvent>[], tEnd: number, charts: Charts, colorOf: (name: string, i: number) => string): string {
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
  // Observed on change: each state holds until the next, so the chart steps (to the end of the run for the last).
  const series = roles.map((role, i) => {
    const mine = states.filter((s) => s.role === role);
    const points: Array<[number, number]> = mine.map((s) => [s.t, s.pods.filter((p) => p.ready).length]);
    if (points.length > 0 && tEnd > points.at(-1)![0]) points.push([tEnd, points.at(-1)![1]]);
    return { name: role, color: colorOf(role, i), kind: "step" as const, points };
  });
  const stateRows = states
    .map(
      (s) =>
        `<tr><td>${s.t.toFixed(1)} s</td><td>${esc(s.role)}</td><td>${s.pods.filter((p) => p.ready).length}/${s.pods.length}${s.autoscaler ? `<br><small>autoscaler ${s.autoscaler.current}/${s.autoscaler.desired} (${s.autoscaler.min}-${s.autoscaler.max}), CPU ${s.autoscaler.cpu ?? "?"}%, memory ${s.autoscaler.memory ?? "?"}%</small>` : ""}</td><td>${s.endpoints}</td><td>${s.pods.map((p) => `${esc(p.name.replace(/^.*-/, ""))} ${p.ready ? "ready" : "unready"}, ${p.restarts} restart(s), ${esc(p.version)}`).join("<br>")}</td></tr>`,
    )
    .join("\n");
  return `<h2>Kubernetes</h2>
${deploymentRows ? `<table><tr><td><b>role</b></td><td><b>Deployment</b></td><td><b>ready</b></td><td><b>limits</b></td><td><b>probes</b></td></tr>${deploymentRows}</table>` : ""}
${states.length ? charts.add({ title: "Ready pods per role (API server)", unit: "pods", series }) : ""}
${stateRows ? `<details><summary>Every change of the pods and Service endpoints the API server reported (${states.length})</summary><table><tr><td><b>t</b></td><td><b>role</b></td><td><b>ready</b></td><td><b>endpoints</b></td><td><b>pods</b></td></tr>${stateRows}</table></details>` : ""}`;
}
