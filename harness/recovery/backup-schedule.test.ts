import { describe, expect, it } from "vitest";
import { TeardownStack } from "../cleanup/teardown.js";
import { TimeScale } from "../common/clock.js";
import type { TimelineEvent } from "../timeline/events.js";
import { ManualClock, flushMicrotasks } from "../../test/support/manual-clock.js";
import { BackupSchedule, type BackupScheduleOptions } from "./backup-schedule.js";
import type { TakenAt } from "./backup-store.js";

const HOUR = 3_600_000;

function setup(overrides: Partial<BackupScheduleOptions> & { takeMs?: number; fail?: (attempt: number) => boolean } = {}) {
  const clock = new ManualClock({ start: 1_000_000 });
  const taken: TakenAt[] = [];
  const pruned: number[] = [];
  const events: TimelineEvent[] = [];
  const teardown = new TeardownStack();
  const run = new AbortController();
  let inFlight = 0;
  let attempts = 0;
  let maxInFlight = 0;
  const schedule = new BackupSchedule({
    kind: "database",
    everySpecMs: HOUR,
    scale: new TimeScale(0.001),
    clock,
    take: async (at) => {
      inFlight++;
      attempts++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (overrides.takeMs) await clock.sleep(overrides.takeMs);
        if (overrides.fail?.(attempts)) throw new Error("database container is gone");
        taken.push(at);
      } finally {
        inFlight--;
      }
    },
    prune: async (now) => void pruned.push(now),
    emit: (e) => void events.push(e),
    teardown,
    signal: run.signal,
    ...overrides,
  });
  return { clock, schedule, taken, pruned, events, teardown, run, maxInFlight: () => maxInFlight };
}

describe("backup schedule", () => {
  it("takes an hourly backup every 3.6 s wall at time scale 0.001, pruning after each, at spec times 1 h, 2 h, ...", async () => {
    const { clock, schedule, taken, pruned } = setup();
    schedule.start();
    await clock.advance(3_599);
    expect(taken).toHaveLength(0);
    await clock.advance(1);
    expect(taken.map((t) => t.specMs)).toEqual([HOUR]);
    await clock.advance(3_600 * 23);
    // A scaled day holds 24 backups.
    expect(taken.map((t) => t.specMs)).toEqual(Array.from({ length: 24 }, (_, i) => (i + 1) * HOUR));
    expect(taken[0]!.wallMs).toBe(1_003_600);
    expect(pruned).toHaveLength(24);
    expect(schedule.taken).toBe(24);
    await schedule.stop();
  });

  it("registers its stop on the teardown before it starts, and stops there", async () => {
    const { clock, schedule, taken, teardown } = setup();
    expect(teardown.size).toBe(0);
    schedule.start();
    expect(teardown.size).toBe(1);
    await clock.advance(3_600);
    await teardown.runAll();
    await clock.advance(3_600 * 5);
    expect(taken).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it("stops when the run's signal aborts", async () => {
    const { clock, schedule, taken, run } = setup();
    schedule.start();
    await clock.advance(3_600 * 2);
    run.abort();
    await flushMicrotasks();
    await clock.advance(3_600 * 5);
    expect(taken).toHaveLength(2);
    await schedule.stop();
  });

  it("never overlaps two backups: a slow one makes it skip the slots it covered, with a note", async () => {
    const { clock, schedule, taken, events, maxInFlight } = setup({ takeMs: 8_000 });
    schedule.start();
    await clock.advance(3_600 * 10);
    expect(maxInFlight()).toBe(1);
    // Starts at slots 1, 4, 7, 10 (each takes 8 s of the 3.6 s slots): never two at once.
    expect(taken.map((t) => t.wallMs - 1_000_000)).toEqual([3_600, 14_400, 25_200]);
    expect(events.filter((e) => e.type === "note")[0]).toMatchObject({ level: "warn", message: expect.stringContaining("2 scheduled backup(s) skipped") });
    await clock.advance(8_000);
    await schedule.stop();
  });

  it("reports a failed backup and goes on", async () => {
    const { clock, schedule, taken, events, pruned } = setup({ fail: (n) => n === 2 });
    schedule.start();
    await clock.advance(3_600 * 3);
    expect(taken.map((t) => t.specMs)).toEqual([HOUR, 3 * HOUR]);
    expect(pruned).toHaveLength(2);
    expect(events).toEqual([{ type: "backup.failed", kind: "database", error: "database container is gone" }]);
    await schedule.stop();
  });

  it("refuses an interval that is not positive", () => {
    expect(() => setup({ everySpecMs: 0 })).toThrow(expect.objectContaining({ code: "SPEC_INVALID" }));
  });
});
