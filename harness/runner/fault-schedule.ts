import type { Clock, TimeScale } from "../common/clock.js";
import { HarnessError } from "../common/errors.js";
import type { TeardownStack } from "../cleanup/teardown.js";
import type { Fault } from "../faults/fault.js";
import type { Sink } from "../timeline/events.js";

/** When a step's fault starts and ends, in spec milliseconds. */
export interface FaultTiming {
  /** After the step starts; 0 injects at once, before the step observes. */
  readonly atMs: number;
  /** After injection, then undone by itself; undefined: until an undo step or the end of the run. */
  readonly forMs?: number | undefined;
}

export interface FaultScheduleContext {
  readonly clock: Clock;
  readonly scale: TimeScale;
  readonly emit: Sink;
  readonly teardown: TeardownStack;
  /** The run's signal: an abort cancels every fault not injected yet. */
  readonly signal: AbortSignal;
}

interface Entry {
  readonly step: string;
  readonly fault: Fault;
  /** Injection has begun: from then on the fault may have changed something, so it is undone (even after a failed inject). */
  touched: boolean;
  /** Injection succeeded (fault.injected is on the timeline). */
  injected: boolean;
  /** Never to be injected: the run ended or was aborted first. */
  cancelled: boolean;
  undone: boolean;
  injection: Promise<void> | undefined;
  undoing: Promise<void> | undefined;
}

/**
 * The steps' faults on the run's clock: each injected `at` after its step
 * starts and, with `for`, undone by itself that long after injection, while
 * the steps go on. Timing lives here, apart from the steps and the platforms,
 * so it can be tested on a manual clock with fake faults.
 *
 * Every fault's undo is on the teardown before anything is injected; an undo
 * runs once however many ask for it (an undo step, the fault's own `for`,
 * the end of the run). A fault not injected yet when the run is aborted or
 * the schedule closes is never injected. A failure in the background (an
 * injection at `at`, an undo at the end of `for`) is reported through
 * `failed`, so the steps stop at once instead of observing a fault that is
 * not there.
 */
export class FaultSchedule {
  private readonly entries = new Map<string, Entry>();
  private readonly controller = new AbortController();
  /** `for` timers still running, each settling (never rejecting) when its fault has ended or been cancelled. */
  private readonly timers = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  private rejectFailed: (e: unknown) => void = () => undefined;
  private readonly onAbort = () => this.controller.abort(this.ctx.signal.reason);
  /** Rejects with the first failure of a fault injected or undone in the background; never resolves. */
  readonly failed: Promise<never>;

  constructor(private readonly ctx: FaultScheduleContext) {
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    // Observed by whoever races against it; never an unhandled rejection on its own.
    this.failed.catch(() => undefined);
    if (ctx.signal.aborted) this.onAbort();
    else ctx.signal.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Aborted when the run is, or when the schedule closes: sleeps that must not outlive the steps use it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * A step's fault: its undo goes on the teardown now; it is injected `atMs`
   * from now (at once for 0) and, with `forMs`, undone that long after.
   * Resolves when it is injected; rejects when injection fails or is cancelled.
   */
  start(step: string, fault: Fault, timing: FaultTiming): Promise<void> {
    const entry: Entry = { step, fault, touched: false, injected: false, cancelled: false, undone: false, injection: undefined, undoing: undefined };
    this.entries.set(step, entry);
    this.ctx.teardown.add(`undo fault ${fault.name}`, async () => {
      if (!entry.touched) {
        entry.cancelled = true;
        return;
      }
      await entry.injection?.catch(() => undefined);
      // Undone at the end of the run (or on failure, or Ctrl-C): on the timeline too, so every fault has its end.
      await this.undoEntry(entry, entry.injected, true);
    });
    const inject = async (): Promise<void> => {
      if (entry.cancelled) throw new HarnessError("INTERRUPTED", `fault ${fault.name} of step ${step} was cancelled before it was injected`);
      entry.touched = true;
      const detail = await fault.inject();
      entry.injected = true;
      this.ctx.emit({ type: "fault.injected", fault: fault.name, target: fault.target, detail });
      if (timing.forMs !== undefined) this.endAfter(entry, timing.forMs);
    };
    entry.injection =
      timing.atMs <= 0
        ? inject()
        : this.ctx.clock.sleep(this.ctx.scale.toWallMs(timing.atMs), this.controller.signal).then(inject, (e: unknown) => {
            entry.cancelled = true;
            throw e;
          });
    entry.injection.catch(() => undefined);
    return entry.injection;
  }

  /**
   * An undo step: the named step's fault is undone now (fault.undone). A
   * fault its `for` already ended is left as it is; one not injected yet is
   * cancelled. Says which of the three it was.
   */
  async undo(step: string): Promise<"undone" | "ended" | "cancelled"> {
    const entry = this.entries.get(step);
    if (!entry) throw new HarnessError("INTERNAL", `undo names step ${step}, which injected no fault (the scenario reader should have refused it)`);
    if (!entry.touched) {
      entry.cancelled = true;
      this.ctx.emit({ type: "note", level: "info", message: `fault ${entry.fault.name} of step ${step} was not injected yet: cancelled` });
      return "cancelled";
    }
    if (entry.undone) {
      this.ctx.emit({ type: "note", level: "info", message: `fault ${entry.fault.name} of step ${step} already ended by itself (for): nothing to undo` });
      return "ended";
    }
    await entry.injection;
    await this.undoEntry(entry, true);
    return "undone";
  }

  /** `p`, or the first background failure if that comes first. */
  during<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.failed]);
  }

  /** Throws the first background failure, if there was one. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Wait until every fault with `for` has ended by itself: the run does not end in the middle of a timed fault. */
  async settle(): Promise<void> {
    while (this.timers.size > 0) await this.during(Promise.all([...this.timers]));
    this.throwIfFailed();
  }

  /** No fault is injected or ended by the schedule from now on; what is still injected is the teardown's to undo. */
  close(): void {
    this.ctx.signal.removeEventListener("abort", this.onAbort);
    for (const entry of this.entries.values()) if (!entry.touched) entry.cancelled = true;
    if (!this.controller.signal.aborted) this.controller.abort(new HarnessError("INTERRUPTED", "the steps are over"));
  }

  private endAfter(entry: Entry, forMs: number): void {
    const timer: Promise<void> = this.ctx.clock
      .sleep(this.ctx.scale.toWallMs(forMs), this.controller.signal)
      .then(
        () => this.undoEntry(entry, true),
        // Cancelled (abort, or the schedule closed): the teardown undoes it.
        () => undefined,
      )
      .catch((e: unknown) => this.fail(e))
      .finally(() => this.timers.delete(timer));
    this.timers.add(timer);
  }

  /**
   * Undo once, however many ask; `announce` puts fault.undone on the timeline
   * (`atTeardown` when the run's end undid it), except for a fault whose
   * damage is permanent (lost data): nothing is undone there.
   */
  private undoEntry(entry: Entry, announce: boolean, atTeardown = false): Promise<void> {
    if (entry.undone) return Promise.resolve();
    entry.undoing ??= entry.fault
      .undo()
      .then((detail) => {
        entry.undone = true;
        if (announce && !entry.fault.permanent) {
          this.ctx.emit({
            type: "fault.undone",
            fault: entry.fault.name,
            target: entry.fault.target,
            ...(atTeardown ? { atTeardown: true as const } : {}),
            ...(detail ? { detail } : {}),
          });
        }
      })
      .finally(() => {
        entry.undoing = undefined;
      });
    return entry.undoing;
  }

  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.rejectFailed(error);
  }
}
