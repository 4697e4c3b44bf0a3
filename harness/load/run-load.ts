import { systemClock, type Clock, type TimeScale } from "../common/clock.js";
import { HarnessError } from "../common/errors.js";
import { ALL_VERSIONS, LoadAggregator, type AggregateSummary, type SecondStats } from "./aggregator.js";
import type { LoadEvent, LoadEventOf, LoadStoppedBy } from "../model/load-events.js";
import { planFor, plannedCount, type LoadGenerator, type LoadRunEnd, type RequestResult } from "./load-generator.js";
import type { Executor, LoadProfile } from "./profile.js";
import { Pacing } from "./pacing.js";
import { VegetaGenerator } from "./vegeta-generator.js";

export interface RunLoadOptions {
  /** The target's base URL: http://127.0.0.1:PORT. */
  baseUrl: string;
  scale: TimeScale;
  /** Timeline events of the phase (load.started, load.second per second and version, load.finished). */
  emit: (e: LoadEvent) => void;
  /** Marks the generator's processes so the reaper can kill them if the harness dies. */
  runId?: string;
  /** vegeta unless given (tests pass a fake). */
  generator?: LoadGenerator;
  /** Interruption (Ctrl-C): aborting it stops the load and runLoad rejects with INTERRUPTED. */
  signal: AbortSignal;
  /** Ends the load early on purpose: the load stops and runLoad resolves with its summary (stoppedBy "aborted"). */
  stop?: AbortSignal;
  clock?: Clock;
  /** Every result as it arrives, in send order (for evidence and benches). */
  onResult?: (r: RequestResult) => void;
}

export interface LoadSummary extends AggregateSummary {
  phase: string;
  target: string;
  executor: Executor;
  generator: string;
  plannedRequests: number;
  stoppedBy: LoadStoppedBy;
  /** The abortOnFail threshold that stopped the load, and the second (since the first request) after which it failed. */
  abortedBy?: { metric: string; expression: string; observed: number; second: number };
  /** Epoch ms of the first request sent; undefined when none was. */
  startedAt?: number;
}

/**
 * Run one load phase: plan it, send it, aggregate per second and per
 * version, and judge its thresholds. abortOnFail thresholds are judged at
 * the end of every second, on everything sent so far; the first to fail
 * stops the load, and the summary says which and when.
 */
export async function runLoad(profile: LoadProfile, options: RunLoadOptions): Promise<LoadSummary> {
  const clock = options.clock ?? systemClock;
  const generator = options.generator ?? new VegetaGenerator({ clock, ...(options.runId ? { runId: options.runId } : {}) });
  const plan = planFor(profile, options.baseUrl, options.scale);
  const planned = plannedCount(plan);
  const phase = profile.name;
  const { emit } = options;

  const stop = new AbortController();
  let stoppedAt: number | undefined;
  const forward = () => {
    if (stop.signal.aborted) return;
    stoppedAt = clock.now();
    stop.abort();
  };
  const outer = [options.signal, options.stop].filter((s): s is AbortSignal => s !== undefined);
  for (const s of outer) {
    if (s.aborted) forward();
    else s.addEventListener("abort", forward, { once: true });
  }

  // Whether the generator kept up: what each second asked for, and how late its requests left.
  const pacing = new Pacing(plan.segments);
  const lagBySecond = new Map<number, number>();
  let sent = 0;
  const abortOnFail = profile.thresholds.filter((t) => t.abortOnFail);
  let abortedBy: LoadSummary["abortedBy"];
  const aggregator: LoadAggregator = new LoadAggregator({
    thresholds: profile.thresholds,
    onSecond: (row) => {
      // A load stopped early asks nothing of the rest of its last second.
      const lagMs = lagBySecond.get(row.second);
      lagBySecond.delete(row.second);
      emit({ ...secondEvent(phase, row.second, ALL_VERSIONS, row.all), asked: Math.round(pacing.askedBetween(row.second * 1000, Math.min((row.second + 1) * 1000, stoppedAt === undefined || aggregator.startedAt === undefined ? Infinity : stoppedAt - aggregator.startedAt))), ...(lagMs !== undefined ? { lagMs: Math.round(lagMs) } : {}) });
      for (const [version, s] of Object.entries(row.versions)) emit(secondEvent(phase, row.second, version, s));
      if (abortOnFail.length === 0 || abortedBy || stop.signal.aborted) return;
      const endOfSecond = (aggregator.startedAt ?? 0) + (row.second + 1) * 1000;
      const failing = aggregator.evaluate(endOfSecond, abortOnFail).find((r) => !r.pass);
      if (failing) {
        abortedBy = { metric: failing.metric, expression: failing.expression, observed: failing.observed, second: row.second };
        stoppedAt = clock.now();
        stop.abort();
      }
    },
  });

  emit({ type: "load.started", phase, target: profile.target, executor: profile.executor, plannedRequests: planned });
  let end: LoadRunEnd;
  try {
    end = await generator.run(
      plan,
      (r) => {
        // Results come in send order: everything sent before this one is in.
        aggregator.advanceTo(r.at);
        aggregator.add(r);
        const origin = aggregator.startedAt ?? r.at;
        const due = pacing.dueAt(sent++);
        if (due !== undefined) {
          const second = Math.floor((r.at - origin) / 1000);
          lagBySecond.set(second, Math.max(lagBySecond.get(second) ?? 0, r.at - origin - due));
        }
        options.onResult?.(r);
      },
      stop.signal,
    );
  } finally {
    for (const s of outer) s.removeEventListener("abort", forward);
  }
  const interrupted = options.signal.aborted && !abortedBy;

  // The load ends where the plan's sending ends, or where it was stopped; the aggregator never ends before the last request sent.
  const origin = aggregator.startedAt;
  let endMs = stoppedAt ?? 0;
  if (origin !== undefined && (end.stoppedBy === "completed" || end.stoppedBy === "deadline")) {
    const leadingIdle = leadingIdleMs(plan.segments);
    endMs = origin + plan.segments.reduce((sum, s) => sum + s.durationMs, 0) - leadingIdle;
  }
  aggregator.finish(endMs);
  const agg = aggregator.summary();
  const stoppedBy: LoadStoppedBy = abortedBy ? "threshold" : end.stoppedBy;
  emit({
    type: "load.finished",
    phase,
    requests: agg.requests,
    failed: agg.failed,
    achievedRate: agg.achievedRate,
    stoppedBy,
    thresholds: agg.thresholdResults.map(({ metric, expression, observed, pass, abortOnFail }) => ({ metric, expression, observed, pass, abortOnFail })),
  });
  if (interrupted) throw new HarnessError("INTERRUPTED", `interrupted during load phase ${phase} after ${agg.requests} requests`);
  const summary: LoadSummary = {
    phase,
    target: profile.target,
    executor: profile.executor,
    generator: generator.name,
    plannedRequests: planned,
    stoppedBy,
    ...agg,
  };
  if (abortedBy) summary.abortedBy = abortedBy;
  if (origin !== undefined) summary.startedAt = origin;
  return summary;
}

function secondEvent(phase: string, second: number, version: string, s: SecondStats): LoadEventOf<"load.second"> {
  return { type: "load.second", phase, second, version, ...s };
}

function leadingIdleMs(segments: ReadonlyArray<{ ratePerSecond: number; durationMs: number }>): number {
  let idle = 0;
  for (const s of segments) {
    if (s.ratePerSecond > 0) break;
    idle += s.durationMs;
  }
  return idle;
}
