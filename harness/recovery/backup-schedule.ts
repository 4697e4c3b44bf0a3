import type { TeardownStack } from "../cleanup/teardown.js";
import { BackgroundLoop } from "../common/background-loop.js";
import type { Clock, TimeScale } from "../common/clock.js";
import { HarnessError, errorMessage } from "../common/errors.js";
import type { BackupKind } from "../model/backup-kind.js";
import type { Sink } from "../timeline/events.js";
import type { TakenAt } from "./backup-store.js";

export interface BackupScheduleOptions {
  readonly kind: BackupKind;
  /** Spec milliseconds between two backups (the document's "hourly" is 3 600 000). */
  readonly everySpecMs: number;
  readonly scale: TimeScale;
  readonly clock: Clock;
  /** Wall time (epoch ms) the run's spec time counts from (backup points); the schedule's start when left out. */
  readonly originWallMs?: number;
  /** Wall time (epoch ms) the slots count from (the first backup one interval after it); the schedule's start when left out. */
  readonly slotOriginWallMs?: number;
  /** Take one backup (e.g. pg_dump into the store). */
  readonly take: (at: TakenAt) => Promise<unknown>;
  /** Apply retention after each backup (the store's prune). */
  readonly prune: (nowSpecMs: number) => Promise<unknown>;
  readonly emit: Sink;
  readonly teardown: TeardownStack;
  /** The run's signal: the schedule stops when it aborts. */
  readonly signal: AbortSignal;
}

/**
 * Backups on the run's scaled clock: one every `everySpecMs` of spec time
 * (at time scale 0.001 an hourly backup is every 3.6 s wall), the first one
 * interval after the start, as a cron job's first hourly run comes an hour
 * after it was installed (a scaled day holds 24). Each backup is followed by
 * pruning. Two backups never overlap: a backup that outlasts its interval
 * makes the schedule skip the slots it covered (a `note` says so) rather
 * than queue them. A failed backup (the database is gone: the disaster) is a
 * `backup.failed` event and the schedule goes on. It stops when the run's
 * signal aborts or stop() is called; its stop is on the run's teardown from
 * the start, and waits for a backup under way to finish.
 */
export class BackupSchedule {
  private readonly loop: BackgroundLoop;
  private count = 0;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: BackupScheduleOptions) {
    if (!(options.everySpecMs > 0) || !Number.isFinite(options.everySpecMs)) {
      throw new HarnessError("SPEC_INVALID", `a backup schedule needs a positive interval, got ${options.everySpecMs} ms`, {
        hint: 'backup frequencies are "hourly", "daily", "weekly" or a duration like "30m"; "on-change" backups are not scheduled',
      });
    }
    this.loop = new BackgroundLoop({ title: `stop the ${options.kind} backup schedule`, teardown: options.teardown, signal: options.signal, run: (life) => this.run(life) });
  }

  /** Backups taken so far (successful ones). */
  get taken(): number {
    return this.count;
  }

  start(): void {
    this.loop.start();
  }

  /** Resolves once the backup under way, if any, has finished (the schedule goes on). */
  idle(): Promise<void> {
    return this.inFlight.then(() => undefined);
  }

  /** Stop scheduling; resolves once a backup under way has finished. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async run(life: AbortSignal): Promise<void> {
    const { clock, scale, everySpecMs, kind } = this.options;
    const started = clock.now();
    const origin = this.options.originWallMs ?? started;
    const slots = this.options.slotOriginWallMs ?? started;
    const everyWallMs = scale.toWallMs(everySpecMs);
    let slot = Math.floor((clock.now() - slots) / everyWallMs) + 1;
    for (;;) {
      const wait = slots + slot * everyWallMs - clock.now();
      try {
        if (wait > 0) await clock.sleep(wait, life);
      } catch {
        return;
      }
      if (life.aborted) return;
      const wallMs = clock.now();
      const at: TakenAt = { wallMs, specMs: scale.toSpecMs(wallMs - origin) };
      const backup = (async () => {
        try {
          await this.options.take(at);
          this.count++;
          await this.options.prune(scale.toSpecMs(clock.now() - origin));
        } catch (e) {
          this.options.emit({ type: "backup.failed", kind, error: errorMessage(e) });
        }
      })();
      this.inFlight = backup;
      await backup;
      const due = Math.floor((clock.now() - slots) / everyWallMs) + 1;
      if (due > slot + 1) {
        this.options.emit({ type: "note", level: "warn", message: `${kind} backup took longer than its interval: ${due - slot - 1} scheduled backup(s) skipped so that two never overlap` });
      }
      slot = Math.max(slot + 1, due);
    }
  }
}
