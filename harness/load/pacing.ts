import type { LoadPlan } from "./load-generator.js";

/**
 * The plan's schedule, counted from its first request (leading idle
 * segments dropped, as the load's seconds count from the first send): how
 * many requests were asked for in a span, and when the n-th was due. Against
 * what was really sent, they say whether the generator kept up: the achieved
 * rate against the asked one, and each request's send lag.
 */
export class Pacing {
  private readonly segments: ReadonlyArray<{ ratePerSecond: number; durationMs: number; fromMs: number; before: number }>;

  constructor(segments: LoadPlan["segments"]) {
    const active = segments.slice(segments.findIndex((s) => s.ratePerSecond > 0));
    let fromMs = 0;
    let before = 0;
    this.segments = (segments.some((s) => s.ratePerSecond > 0) ? active : []).map((s) => {
      const out = { ...s, fromMs, before };
      fromMs += s.durationMs;
      before += (s.ratePerSecond * s.durationMs) / 1000;
      return out;
    });
  }

  /** Requests asked for from the start up to `ms` after the first one. */
  askedBy(ms: number): number {
    let total = 0;
    for (const s of this.segments) {
      if (ms <= s.fromMs) break;
      total = s.before + (s.ratePerSecond * Math.min(s.durationMs, ms - s.fromMs)) / 1000;
    }
    return total;
  }

  /** Requests asked for in [fromMs, toMs). */
  askedBetween(fromMs: number, toMs: number): number {
    return this.askedBy(toMs) - this.askedBy(fromMs);
  }

  /** When the n-th request (from 0) was due, ms after the first; undefined past the plan's end. */
  dueAt(n: number): number | undefined {
    for (const s of this.segments) {
      const inSegment = (s.ratePerSecond * s.durationMs) / 1000;
      if (n < s.before + inSegment) return s.fromMs + ((n - s.before) * 1000) / s.ratePerSecond;
    }
    return undefined;
  }
}
