import { describe, expect, it } from "vitest";
import { ManualClock, flushMicrotasks } from "../../test/support/manual-clock.js";
import { TimeScale } from "../common/clock.js";
import { HarnessError } from "../common/errors.js";
import { TeardownStack } from "../cleanup/teardown.js";
import type { Fault } from "../faults/fault.js";
import type { TimelineEvent } from "../timeline/events.js";
import { FaultSchedule } from "./fault-schedule.js";

/** A fault that records, on the clock, when it was injected and undone. */
class FakeFault implements Fault {
  readonly target = "stable-0";
  readonly calls: Array<{ call: "inject" | "undo"; at: number }> = [];
  failInject = false;
  failUndo = false;
  permanent = false;
  constructor(
    private readonly clock: ManualClock,
    readonly name = "fake",
  ) {}
  inject(): Promise<string> {
    this.calls.push({ call: "inject", at: this.clock.now() - START });
    return this.failInject ? Promise.reject(new HarnessError("CONTAINER_FAILED", "inject failed")) : Promise.resolve("injected");
  }
  undo(): Promise<void> {
    this.calls.push({ call: "undo", at: this.clock.now() - START });
    return this.failUndo ? Promise.reject(new HarnessError("CONTAINER_FAILED", "undo failed")) : Promise.resolve();
  }
}

const START = 1_000_000;

function setup(factor = 0.1) {
  const clock = new ManualClock({ start: START });
  const events: TimelineEvent[] = [];
  const teardown = new TeardownStack();
  const controller = new AbortController();
  const schedule = new FaultSchedule({ clock, scale: new TimeScale(factor), emit: (e) => void events.push(e), teardown, signal: controller.signal });
  const kinds = () => events.filter((e) => e.type === "fault.injected" || e.type === "fault.undone").map((e) => e.type);
  return { clock, events, teardown, controller, schedule, kinds };
}

describe("FaultSchedule", () => {
  it("records no end for a fault whose damage is permanent (lost data): a recovery step repairs it, not the teardown", async () => {
    const { clock, teardown, schedule, kinds } = setup();
    const fault = new FakeFault(clock, "database-loss");
    fault.permanent = true;
    await schedule.start("disaster", fault, { atMs: 0 });
    schedule.close();
    await teardown.runAll();
    expect(kinds()).toEqual(["fault.injected"]);
  });

  it("injects at once without `at`, registering its undo on the teardown first", async () => {
    const { clock, events, teardown, schedule, kinds } = setup();
    const fault = new FakeFault(clock);
    const injected = schedule.start("outage", fault, { atMs: 0 });
    expect(teardown.size).toBe(1);
    await injected;
    expect(fault.calls).toEqual([{ call: "inject", at: 0 }]);
    expect(kinds()).toEqual(["fault.injected"]);
    // No `for`: it stays until an undo step or the end of the run (the teardown, which says so on the timeline).
    await clock.advance(1_000_000);
    expect(fault.calls).toHaveLength(1);
    schedule.close();
    await teardown.runAll();
    expect(fault.calls).toEqual([
      { call: "inject", at: 0 },
      { call: "undo", at: 1_000_000 },
    ]);
    expect(kinds()).toEqual(["fault.injected", "fault.undone"]);
    expect(events.at(-1)).toMatchObject({ type: "fault.undone", atTeardown: true });
  });

  it("injects `at` spec time after the step starts and undoes it `for` spec time later, scaled to wall time", async () => {
    const { clock, schedule, kinds } = setup(0.1);
    const fault = new FakeFault(clock);
    // at 90s, for 60s at time scale 0.1: injected after 9 wall seconds, undone 6 wall seconds later.
    const injected = schedule.start("mid-stage", fault, { atMs: 90_000, forMs: 60_000 });
    await clock.advance(8_999);
    expect(fault.calls).toEqual([]);
    await clock.advance(1);
    await injected;
    expect(fault.calls).toEqual([{ call: "inject", at: 9_000 }]);
    await clock.advance(5_999);
    expect(fault.calls).toHaveLength(1);
    await clock.advance(1);
    expect(fault.calls).toEqual([
      { call: "inject", at: 9_000 },
      { call: "undo", at: 15_000 },
    ]);
    expect(kinds()).toEqual(["fault.injected", "fault.undone"]);
    await schedule.settle();
  });

  it("lets an undo step end a timed fault early, and its `for` then does nothing", async () => {
    const { clock, schedule, kinds } = setup(1);
    const fault = new FakeFault(clock);
    await schedule.start("outage", fault, { atMs: 0, forMs: 60_000 });
    await clock.advance(10_000);
    expect(await schedule.undo("outage")).toBe("undone");
    await clock.advance(60_000);
    expect(fault.calls.map((c) => c.call)).toEqual(["inject", "undo"]);
    expect(kinds()).toEqual(["fault.injected", "fault.undone"]);
  });

  it("accepts an undo step for a fault its `for` already ended, doing nothing but say so", async () => {
    const { clock, events, schedule, kinds, teardown } = setup(1);
    const fault = new FakeFault(clock);
    await schedule.start("outage", fault, { atMs: 0, forMs: 5_000 });
    await clock.advance(5_000);
    expect(await schedule.undo("outage")).toBe("ended");
    expect(fault.calls.map((c) => c.call)).toEqual(["inject", "undo"]);
    expect(kinds()).toEqual(["fault.injected", "fault.undone"]);
    expect(events.at(-1)).toMatchObject({ type: "note", message: expect.stringContaining("already ended by itself") });
    // Nor does the teardown undo it again.
    schedule.close();
    await teardown.runAll();
    expect(fault.calls).toHaveLength(2);
  });

  it("settles only when every timed fault has ended, so a run does not end in the middle of one", async () => {
    const { clock, schedule } = setup(1);
    const fault = new FakeFault(clock);
    await schedule.start("long", fault, { atMs: 0, forMs: 30_000 });
    let settled = false;
    void schedule.settle().then(() => (settled = true));
    await clock.advance(29_999);
    expect(settled).toBe(false);
    await clock.advance(1);
    await flushMicrotasks();
    expect(settled).toBe(true);
    expect(fault.calls.map((c) => c.call)).toEqual(["inject", "undo"]);
  });

  it("cancels a fault not injected yet when the run is aborted: never injected, nothing to undo", async () => {
    const { clock, schedule, controller, teardown, kinds } = setup(1);
    const fault = new FakeFault(clock);
    const injected = schedule.start("later", fault, { atMs: 30_000, forMs: 10_000 });
    await clock.advance(10_000);
    controller.abort(new HarnessError("INTERRUPTED", "interrupted"));
    await expect(injected).rejects.toMatchObject({ code: "INTERRUPTED" });
    await clock.advance(100_000);
    schedule.close();
    await teardown.runAll();
    expect(fault.calls).toEqual([]);
    expect(kinds()).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it("leaves an injected timed fault to the teardown when the run is aborted, undone once", async () => {
    const { clock, schedule, controller, teardown } = setup(1);
    const fault = new FakeFault(clock);
    await schedule.start("outage", fault, { atMs: 0, forMs: 60_000 });
    controller.abort(new HarnessError("INTERRUPTED", "interrupted"));
    await flushMicrotasks();
    expect(clock.pending).toBe(0);
    schedule.close();
    await teardown.runAll();
    expect(fault.calls.map((c) => c.call)).toEqual(["inject", "undo"]);
  });

  it("closing the schedule cancels what is still to come and stops every timer", async () => {
    const { clock, schedule, teardown } = setup(1);
    const early = new FakeFault(clock, "early");
    const late = new FakeFault(clock, "late");
    await schedule.start("early", early, { atMs: 0, forMs: 60_000 });
    const lateInjected = schedule.start("late", late, { atMs: 30_000 });
    schedule.close();
    await expect(lateInjected).rejects.toMatchObject({ code: "INTERRUPTED" });
    expect(clock.pending).toBe(0);
    await teardown.runAll();
    expect(early.calls.map((c) => c.call)).toEqual(["inject", "undo"]);
    expect(late.calls).toEqual([]);
  });

  it("reports a failed injection at `at` to the step waiting for it, and still undoes what it may have changed", async () => {
    const { clock, schedule, teardown } = setup(1);
    const fault = new FakeFault(clock);
    fault.failInject = true;
    const injected = schedule.start("outage", fault, { atMs: 5_000 });
    await clock.advance(5_000);
    await expect(injected).rejects.toThrow("inject failed");
    schedule.close();
    await teardown.runAll();
    expect(fault.calls.map((c) => c.call)).toEqual(["inject", "undo"]);
  });

  it("reports a failed undo at the end of `for` through `failed`, so the steps stop", async () => {
    const { clock, schedule } = setup(1);
    const fault = new FakeFault(clock);
    fault.failUndo = true;
    await schedule.start("outage", fault, { atMs: 0, forMs: 5_000 });
    const observing = expect(schedule.during(clock.sleep(60_000, schedule.signal))).rejects.toThrow("undo failed");
    await clock.advance(5_000);
    await observing;
    expect(() => schedule.throwIfFailed()).toThrow("undo failed");
    await expect(schedule.settle()).rejects.toThrow("undo failed");
    schedule.close();
    expect(clock.pending).toBe(0);
  });
});
