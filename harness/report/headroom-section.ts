import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { esc } from "./html.js";
import type { RunResults } from "./results.js";

type Of<T extends TimelineEvent["type"]> = Stamped<Extract<TimelineEvent, { type: T }>>;
type Chart = (title: string, unit: string, series: Array<{ name: string; points: Array<[number, number]> }>) => string;

/**
 * The machine's headroom in a report: host and engine CPU, the harness's
 * event-loop delay, and what the load delivered against what it asked,
 * with every span the run counted as saturated and why. Empty for a run
 * that sampled nothing.
 */
export function headroomSection(r: RunResults, events: readonly Stamped<TimelineEvent>[], chart: Chart): string {
  const samples = events.filter((e): e is Of<"host.sampled"> => e.type === "host.sampled");
  if (samples.length === 0) return "";
  const cpu = [
    { name: "host", points: samples.filter((s) => s.cpu !== null).map((s) => [s.t, 100 * s.cpu!] as [number, number]) },
    { name: "engine's containers", points: samples.filter((s) => s.engineCpu !== null).map((s) => [s.t, 100 * s.engineCpu!] as [number, number]) },
  ].filter((s) => s.points.length > 0);
  const stalls = [
    { name: "I/O", points: samples.filter((s) => s.ioStall != null).map((s) => [s.t, 100 * s.ioStall!] as [number, number]) },
    { name: "memory", points: samples.filter((s) => s.memoryStall != null).map((s) => [s.t, 100 * s.memoryStall!] as [number, number]) },
  ].filter((s) => s.points.length > 0);
  const loop = [{ name: "event-loop delay p99", points: samples.map((s) => [s.t, s.loopDelayMs] as [number, number]) }];
  const started = events.find((e) => e.type === "load.started")?.t;
  const seconds = events.filter((e): e is Of<"load.second"> => e.type === "load.second" && e.version === "*" && (e.asked ?? 0) > 0);
  const delivered =
    started === undefined || seconds.length === 0
      ? ""
      : chart("Load delivered: requests sent against the plan, per second (load generator)", "%", [{ name: "sent / asked", points: seconds.map((s) => [started + s.second + 1, (100 * s.requests) / s.asked!] as [number, number]) }]);
  const limits = r.headroom?.limits;
  const spans = r.headroom?.saturated ?? [];
  const cores = samples[0]!.cores;
  const summary = limits
    ? `<p>Saturated when the host's CPU is at least ${Math.round(limits.cpu * 100)}% busy for ${limits.cpuSamples} samples in a row, every task is stalled on I/O or memory ${Math.round(limits.stall * 100)}% of a sample, the harness's event loop is delayed ${limits.loopDelayMs} ms, or a second of load sends under ${Math.round(limits.delivered * 100)}% of its plan or ${limits.lagMs} ms late (${cores} cores; <code>headroom:</code> in a scenario changes these). ${spans.length === 0 ? "This run never was." : `This run was, ${spans.length} time(s): a breach or a failed timing expectation in those spans is inconclusive, not failed.`}</p>`
    : "";
  const rows = spans.map((s) => `<tr><td>${s.from.toFixed(1)}-${s.to.toFixed(1)} s</td><td>${esc(s.reason)}</td></tr>`).join("\n");
  return `<h2>Headroom of the machine running the harness</h2>
${summary}
${chart("CPU busy, all cores", "%", cpu)}
${stalls.length > 0 ? chart("Time every task was stalled (pressure stall information, full)", "%", stalls) : ""}
${chart("The harness's event-loop delay", "ms", loop)}
${delivered}
${rows ? `<table><tr><td><b>saturated</b></td><td><b>why</b></td></tr>${rows}</table>` : ""}`;
}
