import { describe, expect, it } from "vitest";
import { flushMicrotasks, ManualClock } from "../../test/support/manual-clock.js";
import { startCrashLoop, type Incarnation } from "./crash-loop.js";

/** A platform that restarts what was killed after `backOffMs`, doubling each time (the kubelet's and Docker's way). */
function fakePlatform(clock: ManualClock, backOffMs: number) {
  let pid = 100;
  let restarts = 0;
  let downUntil: number | undefined;
  let backOff = backOffMs;
  const killed: string[] = [];
  return {
    killed,
    observe: async (): Promise<Incarnation> => {
      if (downUntil !== undefined && clock.now() >= downUntil) {
        downUntil = undefined;
        restarts++;
        pid++;
      }
      return downUntil === undefined ? { running: String(pid), restarts } : { running: undefined, restarts, waiting: "CrashLoopBackOff" };
    },
    kill: async (running: string) => {
      killed.push(running);
      downUntil = clock.now() + backOff;
      backOff *= 2;
    },
  };
}

async function advance(clock: ManualClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    await clock.advance(step);
    await flushMicrotasks();
  }
}

describe("crash loop", () => {
  it("kills each incarnation once, as the platform brings it back, and reports each restart with the reason it waited", async () => {
    const clock = new ManualClock();
    const platform = fakePlatform(clock, 1000);
    const restarts: Array<[number, string | undefined]> = [];
    const loop = startCrashLoop({ ...platform, onRestart: (n, w) => restarts.push([n, w]), clock, intervalMs: 100 });
    await advance(clock, 8_000);
    const summary = await loop.stop();
    // Down 1 s, 2 s, 4 s: killed at 0, ~1, ~3, ~7 s.
    expect(platform.killed).toEqual(["100", "101", "102", "103"]);
    expect(restarts).toEqual([
      [1, "CrashLoopBackOff"],
      [2, "CrashLoopBackOff"],
      [3, "CrashLoopBackOff"],
    ]);
    expect(summary).toEqual({ kills: 4, restarts: 3, waiting: "CrashLoopBackOff" });
  });

  it("counts from a first kill the caller made, and kills nothing once stopped", async () => {
    const clock = new ManualClock();
    const platform = fakePlatform(clock, 500);
    await platform.kill("100");
    const restarts: number[] = [];
    const loop = startCrashLoop({ ...platform, first: { killed: "100", restarts: 0 }, onRestart: (n) => restarts.push(n), clock, intervalMs: 100 });
    await advance(clock, 700);
    const summary = await loop.stop();
    expect(summary.kills).toBe(2);
    expect(restarts).toEqual([1]);
    await advance(clock, 5_000);
    expect(platform.killed).toEqual(["100", "101"]);
  });

  it("goes on after a failed observation or kill, and says so", async () => {
    const clock = new ManualClock();
    let calls = 0;
    const errors: string[] = [];
    const killed: string[] = [];
    const loop = startCrashLoop({
      observe: async () => {
        if (++calls === 1) throw new Error("engine busy");
        return { running: "7", restarts: 0 };
      },
      kill: async (id) => {
        if (calls === 2) throw new Error("no such process");
        killed.push(id);
      },
      onRestart: () => undefined,
      onError: (m) => errors.push(m),
      clock,
      intervalMs: 100,
    });
    await advance(clock, 500);
    await loop.stop();
    expect(errors).toEqual(["engine busy", "no such process"]);
    expect(killed).toEqual(["7"]);
  });
});
