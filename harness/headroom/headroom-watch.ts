import type { Clock } from "../common/clock.js";
import type { Sink, TimelineEvent } from "../timeline/events.js";
import { HostSampler } from "./host-sampler.js";
import { saturatedSpans, saturationDuring, type HeadroomLimits, type HostSample, type LoadSecond, type SaturatedSpan } from "./saturation.js";

/** Wall milliseconds between two samples of the machine. */
export const HEADROOM_SAMPLE_MS = 500;

/**
 * Watches the run's own headroom: samples the machine on an interval (as
 * `host.sampled` on the timeline) and reads the load's seconds as they are
 * emitted (what they asked for, what they sent, how late), and says whether
 * a span of the run was saturated and why.
 */
export class HeadroomWatch {
  private readonly host: HostSample[] = [];
  private readonly load: LoadSecond[] = [];
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;
  private sampler: HostSampler | undefined;

  constructor(private readonly o: { clock: Clock; emit: Sink; limits: HeadroomLimits; intervalMs?: number; sampler?: () => HostSampler }) {}

  get limits(): HeadroomLimits {
    return this.o.limits;
  }

  start(): void {
    if (this.loop) return;
    this.sampler = (this.o.sampler ?? (() => new HostSampler()))();
    this.loop = this.run(this.sampler);
  }

  /** Feed it the timeline: the load's seconds (all versions) carry what was asked and sent. */
  see(e: TimelineEvent): void {
    if (e.type === "load.second" && e.version === "*" && e.asked !== undefined) this.load.push({ atMs: this.o.clock.now(), asked: e.asked, sent: e.requests, lagMs: e.lagMs });
  }

  /** Every saturated span so far, in time order. */
  spans(): SaturatedSpan[] {
    return saturatedSpans(this.host, this.load, this.o.limits);
  }

  /** Why [fromMs, toMs] (wall) was saturated, or undefined when it was not. */
  saturation(fromMs: number, toMs: number): string | undefined {
    return saturationDuring(this.spans(), fromMs, toMs)?.reason;
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
    this.sampler?.close();
  }

  private async run(sampler: HostSampler): Promise<void> {
    const { clock, emit } = this.o;
    const interval = this.o.intervalMs ?? HEADROOM_SAMPLE_MS;
    let last = clock.now();
    while (!this.stopper.signal.aborted) {
      await clock.sleep(interval, this.stopper.signal).catch(() => undefined);
      if (this.stopper.signal.aborted) break;
      const now = clock.now();
      const r = sampler.reading();
      this.host.push({ atMs: now, spanMs: now - last, cpu: r.cpu, ioStall: r.ioStall, memoryStall: r.memoryStall, loopDelayMs: r.loopDelayMs });
      last = now;
      emit({ type: "host.sampled", cpu: r.cpu ?? null, engineCpu: r.engineCpu ?? null, ioStall: r.ioStall ?? null, memoryStall: r.memoryStall ?? null, loopDelayMs: round1(r.loopDelayMs), loopMaxMs: round1(r.loopMaxMs), cores: r.cores });
    }
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
