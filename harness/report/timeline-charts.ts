import { parseComparison } from "../document/comparison.js";
import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { perSecondSteps, type ChartSpec, type Marker, type Threshold } from "./charts.js";

type Of<T extends TimelineEvent["type"]> = Stamped<Extract<TimelineEvent, { type: T }>>;

/** The events worth a vertical line on every plot: stages, faults, restarts, decisions, the rollback, actions, backups, recovery. */
export function markersOf(events: readonly Stamped<TimelineEvent>[]): Marker[] {
  const out: Marker[] = [];
  const mark = (e: Stamped, label: string, color: string) => out.push({ t: e.t, label, color, event: e.type });
  for (const e of events) {
    if (e.type === "stage.started") mark(e, `${e.stage} ${e.percentage}%`, "#6b7280");
    if (e.type === "fault.injected") mark(e, `fault ${e.fault}`, "#ea580c");
    if (e.type === "fault.undone") mark(e, "undone", "#16a34a");
    if (e.type === "instance.restarted") mark(e, `${e.role}-${e.instance} restart ${e.restarts}`, "#9333ea");
    if (e.type === "rollback.decided") mark(e, `rollback: ${e.trigger}`, "#dc2626");
    if (e.type === "rollback.completed") mark(e, "back on stable", "#dc2626");
    if (e.type === "stage.inconclusive") mark(e, `${e.stage} inconclusive`, "#ca8a04");
    if (e.type === "action.performed") mark(e, e.action, "#7c3aed");
    if (e.type === "operator.acted") mark(e, `operator ${e.action}${e.action === "mark" ? `: ${e.detail.slice(0, 40)}` : e.id ? ` ${e.id}` : ""}`, "#7c3aed");
    if (e.type === "backup.taken" && e.kind === "database") mark(e, `backup ${e.id.replace(/-database$/, "")}`, "#0891b2");
    if (e.type === "recovery.phase" && (e.phase === "disaster" || e.phase === "service-ready" || e.phase === "first-write")) mark(e, e.phase, e.phase === "disaster" ? "#dc2626" : "#16a34a");
  }
  return out;
}

/**
 * The lines a figure is judged against: the rollback trigger from the
 * strategy's start to the end, and each stage's criterion over the stage
 * (to the next stage, or the decision that ended it). Percentages for
 * error rates, milliseconds for times.
 */
export function thresholdsOf(events: readonly Stamped<TimelineEvent>[], figure: "errorRate" | "responseTime"): Threshold[] {
  const started = events.find((e): e is Of<"strategy.started"> => e.type === "strategy.started");
  if (!started) return [];
  const value = (text: string | undefined) => {
    const c = text === undefined ? undefined : parseComparison(text);
    if (!c || (c.unit === "ratio") !== (figure === "errorRate")) return undefined;
    return c.unit === "ratio" ? c.value * 100 : c.value;
  };
  const out: Threshold[] = [];
  const trigger = value(started.triggers?.[figure]);
  if (trigger !== undefined) out.push({ value: trigger, label: `rollback trigger ${started.triggers![figure]}`, color: "#dc2626", from: started.t });
  const ends = (x: Stamped<TimelineEvent>) => x.type === "stage.started" || x.type === "rollback.decided" || x.type === "strategy.finished" || x.type === "stage.inconclusive";
  events.forEach((e, i) => {
    if (e.type !== "stage.started") return;
    const text = started.stages.find((s) => s.name === e.stage)?.criteria?.[figure];
    const v = value(text);
    if (v === undefined) return;
    const end = events.slice(i + 1).find(ends);
    out.push({ value: v, label: `${e.stage} ${text}`, color: "#6b7280", from: e.t, ...(end ? { to: end.t } : {}) });
  });
  return out;
}

/** The plots of a run's traffic: the router's shares, the load's per-second error rate and p95 by version, and the controller's analyses. */
export function trafficCharts(events: readonly Stamped<TimelineEvent>[], colorOf: (name: string, i: number) => string): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const shares = events.filter((e): e is Of<"router.observed"> => e.type === "router.observed");
  if (shares.length > 0) {
    const roles = [...new Set(shares.flatMap((s) => Object.keys(s.shares)))];
    charts.push({
      title: "Traffic share read back from the router",
      unit: "%",
      series: roles.map((role, i) => ({ name: role, color: colorOf(role, i), kind: "step", points: shares.map((s) => [s.t, s.shares[role] ?? 0] as [number, number]) })),
    });
  }
  const started = events.find((e) => e.type === "load.started")?.t;
  const seconds = events.filter((e): e is Of<"load.second"> => e.type === "load.second" && e.version !== "*" && e.version !== "(none)" && e.requests > 0);
  if (started !== undefined && seconds.length > 0) {
    const versions = [...new Set(seconds.map((s) => s.version))];
    const per = (f: (s: Of<"load.second">) => number) =>
      versions.map((v, i) => ({ name: v, color: colorOf(v, i), kind: "step" as const, points: perSecondSteps(started, seconds.filter((s) => s.version === v).map((s) => ({ second: s.second, value: f(s) }))) }));
    charts.push({ title: "Error rate per second, by version (load generator)", unit: "%", series: per((s) => (100 * s.failed) / s.requests), thresholds: thresholdsOf(events, "errorRate") });
    charts.push({ title: "p95 latency per second, by version (load generator)", unit: "ms", series: per((s) => s.p95), thresholds: thresholdsOf(events, "responseTime") });
  }
  const analyses = events.filter((e): e is Of<"analysis.evaluated"> => e.type === "analysis.evaluated");
  if (analyses.length > 0) {
    const version = analyses[0]!.version;
    const color = colorOf(version, 0);
    charts.push({
      title: "Candidate error rate as the controller's analysis saw it (Prometheus, each window)",
      unit: "%",
      series: [{ name: version, color, kind: "points", points: analyses.filter((a) => a.errorRate !== null).map((a) => [a.t, 100 * a.errorRate!] as [number, number]) }],
      thresholds: thresholdsOf(events, "errorRate"),
    });
    charts.push({
      title: `Candidate ${analyses[0]!.statistic} latency as the controller's analysis saw it (Prometheus, each window)`,
      unit: "ms",
      series: [{ name: version, color, kind: "points", points: analyses.filter((a) => a.latencyMs !== null).map((a) => [a.t, a.latencyMs!] as [number, number]) }],
      thresholds: thresholdsOf(events, "responseTime"),
    });
  }
  return charts;
}
