import { describe, expect, it } from "vitest";
import { systemClock, TimeScale, waitFor } from "./clock.js";
import { HarnessError } from "./errors.js";
import { ManualClock } from "../../test/support/manual-clock.js";

/** A clock that only moves when the code under test sleeps. */
const manualClock = () => new ManualClock({ autoAdvance: true });

async function rejection(p: Promise<unknown>): Promise<HarnessError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HarnessError);
  return e as HarnessError;
}

describe("TimeScale", () => {
  it("converts spec time to wall time and back", () => {
    const scale = new TimeScale(0.01);
    expect(scale.factor).toBe(0.01);
    expect(scale.toWallMs(600_000)).toBeCloseTo(6_000);
    expect(scale.toSpecMs(6_000)).toBeCloseTo(600_000);
    expect(scale.toSpecMs(scale.toWallMs(1234))).toBeCloseTo(1234);
  });

  it("is the identity at factor 1 and slows down above 1", () => {
    expect(new TimeScale(1).toWallMs(500)).toBe(500);
    expect(new TimeScale(2).toWallMs(500)).toBe(1000);
    expect(new TimeScale(2).toSpecMs(1000)).toBe(500);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])("rejects factor %s with a USAGE error", (factor) => {
    let caught: unknown;
    try {
      new TimeScale(factor);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(HarnessError);
    const err = caught as HarnessError;
    expect(err.code).toBe("USAGE");
    expect(err.message).toContain(String(factor));
    expect(err.hint).toContain("--time-scale");
  });
});

describe("waitFor", () => {
  it("resolves with the probe's first defined value without sleeping", async () => {
    const clock = manualClock();
    await expect(waitFor(() => 42, { description: "answer", timeoutMs: 1000, clock })).resolves.toBe(42);
    expect(clock.sleeps).toEqual([]);
  });

  it("treats falsy values other than undefined as ready", async () => {
    const clock = manualClock();
    await expect(waitFor(() => 0, { description: "zero", timeoutMs: 1000, clock })).resolves.toBe(0);
    await expect(waitFor(async () => null, { description: "null", timeoutMs: 1000, clock })).resolves.toBeNull();
    await expect(waitFor(() => false, { description: "false", timeoutMs: 1000, clock })).resolves.toBe(false);
  });

  it("retries at the interval until the probe returns a value", async () => {
    const clock = manualClock();
    const start = clock.now();
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls++;
        if (calls === 1) throw new Error("connection refused");
        return calls >= 4 ? "ready" : undefined;
      },
      { description: "service", timeoutMs: 10_000, intervalMs: 250, clock },
    );
    expect(value).toBe("ready");
    expect(calls).toBe(4);
    expect(clock.sleeps).toEqual([250, 250, 250]);
    expect(clock.now() - start).toBe(750);
  });

  it("times out with TIMEOUT naming the description and the last error", async () => {
    const clock = manualClock();
    const start = clock.now();
    let calls = 0;
    const err = await rejection(
      waitFor(
        () => {
          calls++;
          throw new Error(`refused #${calls}`);
        },
        { description: "PostgreSQL to accept connections", timeoutMs: 1_000, intervalMs: 300, clock, hint: "is the container up?" },
      ),
    );
    expect(err.code).toBe("TIMEOUT");
    expect(err.message).toContain("PostgreSQL to accept connections");
    expect(err.message).toContain("1000 ms");
    expect(err.message).toContain(`last error: refused #${calls}`);
    expect(err.hint).toBe("is the container up?");
    expect((err.cause as Error).message).toBe(`refused #${calls}`);
    // Sleeps are capped at the deadline: 300, 300, 300, 100.
    expect(clock.sleeps).toEqual([300, 300, 300, 100]);
    expect(clock.now() - start).toBe(1_000);
    expect(calls).toBe(5);
  });

  it("times out without a last error when the probe only returned undefined", async () => {
    const clock = manualClock();
    const err = await rejection(waitFor(() => undefined, { description: "nothing", timeoutMs: 500, clock }));
    expect(err.code).toBe("TIMEOUT");
    expect(err.message).toContain("waiting for nothing");
    expect(err.message).not.toContain("last error");
  });

  it("reports the last error even when later attempts returned undefined", async () => {
    const clock = manualClock();
    let calls = 0;
    const err = await rejection(
      waitFor(
        () => {
          calls++;
          if (calls === 2) throw new Error("flaky");
          return undefined;
        },
        { description: "x", timeoutMs: 1_000, intervalMs: 100, clock },
      ),
    );
    expect(err.message).toContain("last error: flaky");
  });

  it("stops with INTERRUPTED when the signal is already aborted, without probing", async () => {
    const clock = manualClock();
    const controller = new AbortController();
    controller.abort();
    let calls = 0;
    const err = await rejection(
      waitFor(
        () => {
          calls++;
          return 1;
        },
        { description: "the app", timeoutMs: 1_000, clock, signal: controller.signal },
      ),
    );
    expect(err.code).toBe("INTERRUPTED");
    expect(err.message).toContain("the app");
    expect(calls).toBe(0);
  });

  it("stops with INTERRUPTED when the signal aborts between attempts", async () => {
    const clock = manualClock();
    const controller = new AbortController();
    let calls = 0;
    const err = await rejection(
      waitFor(
        () => {
          calls++;
          // As the CLI does on Ctrl-C: the reason is the error to end with.
          if (calls === 2) controller.abort(new HarnessError("INTERRUPTED", "interrupted"));
          return undefined;
        },
        { description: "the app", timeoutMs: 60_000, intervalMs: 100, clock, signal: controller.signal },
      ),
    );
    expect(err.code).toBe("INTERRUPTED");
    expect(err.exitCode).toBe(130);
    expect(calls).toBe(2);
  });

  // A bare abort() gives the signal a DOMException reason; waitFor still reports it as INTERRUPTED.
  it("stops with INTERRUPTED when the signal aborts without a reason between attempts", async () => {
    const clock = manualClock();
    const controller = new AbortController();
    let calls = 0;
    const err = await rejection(
      waitFor(
        () => {
          calls++;
          if (calls === 2) controller.abort();
          return undefined;
        },
        { description: "the app", timeoutMs: 60_000, intervalMs: 100, clock, signal: controller.signal },
      ),
    );
    expect(err.code).toBe("INTERRUPTED");
  });
});

describe("ManualClock (the tests' shared clock)", () => {
  it("wakes sleeps only when time is advanced past them, in the order they fall due", async () => {
    const clock = new ManualClock({ start: 0 });
    const woke: string[] = [];
    void clock.sleep(300).then(() => woke.push(`a@${clock.now()}`));
    void clock.sleep(100).then(() => woke.push(`b@${clock.now()}`));
    await clock.advance(99);
    expect(woke).toEqual([]);
    expect(clock.now()).toBe(99);
    await clock.advance(250);
    expect(woke).toEqual(["b@100", "a@300"]);
    expect(clock.now()).toBe(349);
    expect(clock.pending).toBe(0);
  });

  it("steps code that sleeps in a loop, one sleep at a time, with run()", async () => {
    const clock = new ManualClock({ start: 0 });
    const seen: number[] = [];
    const loop = async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(1_000);
        seen.push(clock.now());
      }
      return "done";
    };
    await expect(clock.run(loop())).resolves.toBe("done");
    expect(seen).toEqual([1_000, 2_000, 3_000]);
  });

  it("rejects a sleep when its signal aborts, with the same error as the system clock", async () => {
    const clock = new ManualClock({ start: 0 });
    for (const reason of [new HarnessError("INTERRUPTED", "interrupted"), undefined, "not an error"]) {
      const controller = new AbortController();
      const manual = clock.sleep(1_000, controller.signal).then(() => "resolved", (e: unknown) => e);
      const system = systemClock.sleep(60_000, controller.signal).then(() => "resolved", (e: unknown) => e);
      controller.abort(reason);
      const [m, s] = await Promise.all([manual, system]);
      expect(m).not.toBe("resolved");
      if (controller.signal.reason instanceof Error) {
        // The reason itself (a bare abort() gives a DOMException, which is an Error).
        expect(s).toBe(controller.signal.reason);
        expect(m).toBe(controller.signal.reason);
      } else {
        expect((s as HarnessError).code).toBe("INTERRUPTED");
        expect((m as HarnessError).code).toBe("INTERRUPTED");
      }
      expect(clock.pending).toBe(0);
      // Already aborted: rejected at once.
      await expect(clock.sleep(1, controller.signal)).rejects.toBeDefined();
    }
  });

  it("says so when run() waits on a promise that no sleep will settle", async () => {
    const clock = new ManualClock();
    await expect(clock.run(new Promise(() => undefined))).rejects.toThrow(/nothing sleeps on the clock/);
  });
});
