import { HarnessError } from "./errors.js";

/**
 * Every duration in the harness goes through a Clock. A scaled clock turns the
 * deployment document's spec time into wall time (`--time-scale 0.01` makes a
 * 600 s stage last 6 s); tests inject a manual clock.
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /** Resolve after `ms` wall milliseconds (or reject when the signal aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal!));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new HarnessError("INTERRUPTED", "interrupted");
}

/** Converts spec time (what the document says) to wall time (what the run waits) and back. */
export class TimeScale {
  constructor(readonly factor: number) {
    if (!(factor > 0) || !Number.isFinite(factor)) {
      throw new HarnessError("USAGE", `time scale must be a positive number, got ${factor}`, {
        hint: "use --time-scale 1 for real speed or e.g. --time-scale 0.01 for a fast run",
      });
    }
  }
  /** Wall milliseconds for a spec duration in milliseconds. */
  toWallMs(specMs: number): number {
    return specMs * this.factor;
  }
  /** Whole wall seconds for spec seconds, never below `min` (Kubernetes probe timings are whole seconds). */
  toWallSeconds(specSeconds: number, min: number): number {
    return Math.max(min, Math.round(specSeconds * this.factor));
  }
  /** Spec milliseconds for a wall duration in milliseconds. */
  toSpecMs(wallMs: number): number {
    return wallMs / this.factor;
  }
}

export interface WaitOptions {
  /** What is awaited, for the timeout message ("PostgreSQL to accept connections"). */
  description: string;
  timeoutMs: number;
  intervalMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
  hint?: string;
}

/**
 * Poll `probe` until it returns a value other than `undefined`, with a deadline
 * on the injected clock. Errors thrown by the probe count as "not yet" and the
 * last one is reported when the deadline passes.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, options: WaitOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  const interval = options.intervalMs ?? 100;
  const deadline = clock.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (options.signal?.aborted) throw new HarnessError("INTERRUPTED", `interrupted while waiting for ${options.description}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      lastError = e;
    }
    if (clock.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new HarnessError("TIMEOUT", `timed out after ${options.timeoutMs} ms waiting for ${options.description}${why}`, {
        hint: options.hint,
        cause: lastError,
      });
    }
    try {
      await clock.sleep(Math.min(interval, Math.max(0, deadline - clock.now())), options.signal);
    } catch (e) {
      // An abort without a HarnessError of its own (a bare abort()) is an interruption like any other.
      if (options.signal?.aborted && !(e instanceof HarnessError)) throw new HarnessError("INTERRUPTED", `interrupted while waiting for ${options.description}`, { cause: e });
      throw e;
    }
  }
}
