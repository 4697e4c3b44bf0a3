import { systemClock, type Clock } from "../common/clock.js";
import { errorMessage } from "../common/errors.js";

/**
 * A crash loop on one instance, platform-neutral: each time the platform
 * brings the instance's process back (its restart policy, the kubelet), the
 * process is killed again, until the loop is stopped. The platform decides
 * when to restart it (Docker's back-off doubles from 100 ms, the kubelet's
 * from 10 s, which it shows as CrashLoopBackOff); the loop only watches and
 * kills, so what the run sees is the platform's own behaviour.
 */

/** The instance's process as the platform shows it now. */
export interface Incarnation {
  /** The running process's identity (a pid, a container id); undefined while it is down. */
  readonly running: string | undefined;
  /** How many times the platform has restarted it so far (its own count). */
  readonly restarts: number;
  /** Why it is waiting to start, where the platform says ("CrashLoopBackOff"). */
  readonly waiting?: string;
}

export interface CrashLoopOptions {
  observe(): Promise<Incarnation | undefined>;
  kill(running: string): Promise<void>;
  /** The platform restarted the instance: its count, and the reason it showed while the instance waited to start, if it gave one. */
  onRestart(restarts: number, waiting: string | undefined): void;
  /** An observation or a kill failed; the loop goes on. */
  onError?(message: string): void;
  /** The first kill, made by the caller before the loop (so a fault that cannot be put in place fails where it is injected): the incarnation and the platform's count then. */
  first?: { readonly killed: string; readonly restarts: number };
  clock?: Clock;
  intervalMs?: number;
}

export interface CrashLoop {
  /** Stop killing; resolves once the loop has ended, with what it did. */
  stop(): Promise<CrashLoopSummary>;
}

export interface CrashLoopSummary {
  readonly kills: number;
  /** Restarts the platform made while the loop ran. */
  readonly restarts: number;
  /** The last reason the platform gave for waiting, if it gave one. */
  readonly waiting?: string;
}

/** Start the loop; the first kill happens at the first observation that finds the instance running. */
export function startCrashLoop(o: CrashLoopOptions): CrashLoop {
  const clock = o.clock ?? systemClock;
  const interval = o.intervalMs ?? 100;
  const stopped = new AbortController();
  const killed = new Set<string>(o.first ? [o.first.killed] : []);
  let kills = o.first ? 1 : 0;
  let firstRestarts: number | undefined = o.first?.restarts;
  let lastRestarts: number | undefined = o.first?.restarts;
  let waiting: string | undefined;
  /** The reason shown while down since the last restart. */
  let waited: string | undefined;
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      try {
        const now = await o.observe();
        if (now && !stopped.signal.aborted) {
          firstRestarts ??= now.restarts;
          if (now.waiting) waiting = waited = now.waiting;
          if (lastRestarts !== undefined && now.restarts > lastRestarts) {
            o.onRestart(now.restarts, waited);
            waited = undefined;
          }
          lastRestarts = Math.max(lastRestarts ?? now.restarts, now.restarts);
          if (now.running !== undefined && !killed.has(now.running)) {
            await o.kill(now.running);
            killed.add(now.running);
            kills++;
          }
        }
      } catch (e) {
        o.onError?.(errorMessage(e));
      }
      await clock.sleep(interval, stopped.signal).catch(() => undefined);
    }
  })();
  return {
    stop: async () => {
      stopped.abort();
      await loop;
      return { kills, restarts: (lastRestarts ?? 0) - (firstRestarts ?? 0), ...(waiting ? { waiting } : {}) };
    },
  };
}
