import type { Clock } from "../../harness/common/clock.js";
import { HarnessError } from "../../harness/common/errors.js";

interface Sleeper {
  due: number;
  seq: number;
  resolve(): void;
}

/** Lets every promise callback that is already queued run (fakes answer with resolved promises, never real I/O). */
export function flushMicrotasks(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A clock for tests: time moves only when the test says so, so code that
 * sleeps can be stepped deterministically and no test waits for real time.
 *
 * Two ways to drive it:
 * - scheduled (the default): `sleep` waits until the test moves time with
 *   `advance(ms)`, or `run(promise)` jumps from one pending sleep to the next
 *   until the promise settles;
 * - `autoAdvance: true`: every `sleep` moves time forward at once and
 *   resolves, for code that only ever sleeps in sequence (waitFor).
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly sleepers: Sleeper[] = [];
  private readonly autoAdvance: boolean;
  /** Every sleep asked for, in milliseconds, in order. */
  readonly sleeps: number[] = [];

  constructor(options: { start?: number; autoAdvance?: boolean } = {}) {
    this.time = options.start ?? 1_000_000;
    this.autoAdvance = options.autoAdvance ?? false;
  }

  now(): number {
    return this.time;
  }

  /** Sleeps not yet over. */
  get pending(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.autoAdvance) {
      this.time += Math.max(0, ms);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        due: this.time + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.remove(sleeper);
        reject(abortError(signal!));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /**
   * Move time forward by `ms`, waking every sleep that falls due on the way in
   * the order it falls due (and letting the code it wakes run before the next).
   */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.time + ms);
  }

  async advanceTo(target: number): Promise<void> {
    await flushMicrotasks();
    for (;;) {
      const next = this.next();
      if (!next || next.due > target) break;
      this.time = Math.max(this.time, next.due);
      this.remove(next);
      next.resolve();
      await flushMicrotasks();
    }
    this.time = Math.max(this.time, target);
    await flushMicrotasks();
  }

  /**
   * Drive time until `promise` settles: whenever the code under test is
   * waiting on a sleep, jump to the earliest one. Fails when the promise is
   * still pending with no sleep to wake (it waits on something else), or
   * after `maxSteps` wake-ups (it never ends).
   */
  async run<T>(promise: Promise<T>, maxSteps = 100_000): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    // Keep an unobserved rejection from being reported before the caller awaits it.
    watched.catch(() => undefined);
    for (let step = 0; ; step++) {
      await flushMicrotasks();
      if (settled) return watched;
      const next = this.next();
      if (!next) throw new Error("ManualClock.run: the promise is pending but nothing sleeps on the clock");
      if (step >= maxSteps) throw new Error(`ManualClock.run: still pending after ${maxSteps} sleeps`);
      await this.advanceTo(next.due);
    }
  }

  private next(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.sleepers) if (!best || s.due < best.due || (s.due === best.due && s.seq < best.seq)) best = s;
    return best;
  }

  private remove(s: Sleeper): void {
    const i = this.sleepers.indexOf(s);
    if (i >= 0) this.sleepers.splice(i, 1);
  }
}

/** The same rejection as the system clock's: the signal's reason when it is an Error, INTERRUPTED otherwise. */
function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new HarnessError("INTERRUPTED", "interrupted");
}
