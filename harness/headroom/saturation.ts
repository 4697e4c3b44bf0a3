/**
 * When the harness itself was the problem. A run samples its machine (host
 * CPU, I/O and memory stalls, the harness's own event-loop delay) and its load (what each second
 * asked for against what it sent, and how late). A span of the run during
 * which any of these crossed its limit was saturated: what was measured then
 * may be the machine's doing, not the system under test's, so a breach or a
 * failed expectation that rests on it is inconclusive instead.
 */

/** The limits past which a sample or a second of load counts as saturated (configurable per scenario with `headroom:`). */
export interface HeadroomLimits {
  /** Host CPU busy (all cores, 0-1) at or above which a sample is saturated, when it lasts `cpuSamples` samples in a row. */
  readonly cpu: number;
  readonly cpuSamples: number;
  /**
   * Share of a sample (0-1) during which every task that could run was stalled on I/O or on memory
   * (Linux's pressure stall information, "full"): the whole machine stood still, the service with it.
   */
  readonly stall: number;
  /** The harness's event loop delayed this long (p99 of a sample, ms) or more: its timers, probes and analyses ran late. */
  readonly loopDelayMs: number;
  /** A second of load that sent less than this fraction of what its plan asked for. */
  readonly delivered: number;
  /** A second of load whose latest request left this late (ms) or more against its schedule. */
  readonly lagMs: number;
}

export const DEFAULT_HEADROOM: HeadroomLimits = { cpu: 0.97, cpuSamples: 4, stall: 0.5, loopDelayMs: 250, delivered: 0.9, lagMs: 500 };

/** One sample of the machine: wall ms at its end, host CPU busy (0-1), the event loop's p99 delay over it. */
export interface HostSample {
  readonly atMs: number;
  readonly spanMs: number;
  readonly cpu: number | undefined;
  /** Share of the sample every runnable task was stalled on I/O, and on memory; undefined where unknown. */
  readonly ioStall?: number | undefined;
  readonly memoryStall?: number | undefined;
  readonly loopDelayMs: number;
}

/** One second of load as sent: wall ms at its end, what the plan asked, what left, the latest departure. */
export interface LoadSecond {
  readonly atMs: number;
  readonly asked: number;
  readonly sent: number;
  readonly lagMs: number | undefined;
}

/** A saturated span: wall ms, and why. */
export interface SaturatedSpan {
  readonly fromMs: number;
  readonly toMs: number;
  readonly reason: string;
}

/** Seconds of load that ask for fewer requests than this say nothing about delivery (a one-request miss is not a shortfall). */
const MIN_ASKED = 5;

/** Every saturated span among the samples and the load's seconds, in time order. */
export function saturatedSpans(host: readonly HostSample[], load: readonly LoadSecond[], limits: HeadroomLimits): SaturatedSpan[] {
  const spans: SaturatedSpan[] = [];
  let run: HostSample[] = [];
  const flush = () => {
    if (run.length >= limits.cpuSamples) {
      const peak = Math.max(...run.map((s) => s.cpu ?? 0));
      spans.push({ fromMs: run[0]!.atMs - run[0]!.spanMs, toMs: run[run.length - 1]!.atMs, reason: `host CPU ${pct(peak)} busy (limit ${pct(limits.cpu)}) for ${run.length} samples in a row` });
    }
    run = [];
  };
  for (const s of host) {
    if (s.cpu !== undefined && s.cpu >= limits.cpu) run.push(s);
    else flush();
    const stall = Math.max(s.ioStall ?? 0, s.memoryStall ?? 0);
    if (stall >= limits.stall) {
      const on = (s.ioStall ?? 0) >= (s.memoryStall ?? 0) ? "I/O" : "memory";
      spans.push({ fromMs: s.atMs - s.spanMs, toMs: s.atMs, reason: `every task on the host was stalled on ${on} ${pct(stall)} of the time (limit ${pct(limits.stall)})` });
    }
    if (s.loopDelayMs >= limits.loopDelayMs) spans.push({ fromMs: s.atMs - s.spanMs, toMs: s.atMs, reason: `the harness's event loop was delayed ${Math.round(s.loopDelayMs)} ms (limit ${limits.loopDelayMs} ms)` });
  }
  flush();
  for (const l of load) {
    if (l.asked < MIN_ASKED) continue;
    if (l.sent < limits.delivered * l.asked) spans.push({ fromMs: l.atMs - 1000, toMs: l.atMs, reason: `the load sent ${l.sent} of the ${l.asked} requests a second asked for (limit ${pct(limits.delivered)})` });
    else if (l.lagMs !== undefined && l.lagMs >= limits.lagMs) spans.push({ fromMs: l.atMs - 1000, toMs: l.atMs, reason: `the load sent requests ${Math.round(l.lagMs)} ms behind their schedule (limit ${limits.lagMs} ms)` });
  }
  return spans.sort((a, b) => a.fromMs - b.fromMs);
}

/** The first saturated span that overlaps [fromMs, toMs], if any. */
export function saturationDuring(spans: readonly SaturatedSpan[], fromMs: number, toMs: number): SaturatedSpan | undefined {
  return spans.find((s) => s.fromMs < toMs && s.toMs > fromMs);
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
