import { describe, expect, it } from "vitest";
import { TimeScale, type Clock } from "../common/clock.js";
import { HarnessError } from "../common/errors.js";
import type { LoadEvent, LoadEventOf } from "../model/load-events.js";
import type { LoadGenerator, LoadPlan, LoadRunEnd, RequestResult } from "./load-generator.js";
import type { LoadProfile } from "./profile.js";
import { runLoad } from "./run-load.js";
import { parseThreshold } from "./thresholds.js";

const T0 = 1_800_000_000_000;

class FixedClock implements Clock {
  constructor(public time = T0) {}
  now(): number {
    return this.time;
  }
  sleep(ms: number): Promise<void> {
    this.time += ms;
    return Promise.resolve();
  }
}

/** Delivers prepared results in order, stopping when the signal aborts (as a real generator would). */
class FakeGenerator implements LoadGenerator {
  readonly name = "fake";
  plan: LoadPlan | undefined;
  constructor(
    private readonly results: RequestResult[],
    private readonly onDeliver?: (i: number) => void,
  ) {}
  async run(plan: LoadPlan, onResult: (r: RequestResult) => void, signal: AbortSignal): Promise<LoadRunEnd> {
    this.plan = plan;
    let sent = 0;
    for (const r of this.results) {
      if (signal.aborted) return { sent, stoppedBy: "aborted" };
      onResult(r);
      this.onDeliver?.(sent);
      sent++;
    }
    return { sent, stoppedBy: signal.aborted ? "aborted" : "completed" };
  }
}

function profile(partial: Partial<LoadProfile> = {}): LoadProfile {
  return {
    name: "steady",
    target: "stable",
    executor: "constant-arrival-rate",
    rate: 10,
    durationMs: 5000,
    timeUnitMs: 1000,
    requests: [{ method: "GET", path: "/health", weight: 1 }],
    timeoutMs: 10_000,
    thresholds: [],
    ...partial,
  };
}

/** 10 requests per second for `seconds` seconds; `failing(second, i)` picks the failed ones. */
function traffic(seconds: number, failing: (second: number, i: number) => boolean = () => false): RequestResult[] {
  const out: RequestResult[] = [];
  for (let s = 0; s < seconds; s++) {
    for (let i = 0; i < 10; i++) out.push({ at: T0 + s * 1000 + i * 100, latencyMs: 10 + i, code: failing(s, i) ? 500 : 200, version: s % 2 ? "good-2" : "good-1" });
  }
  return out;
}

async function run(p: LoadProfile, results: RequestResult[], signal = new AbortController().signal) {
  const events: LoadEvent[] = [];
  const generator = new FakeGenerator(results);
  const summary = await runLoad(p, { baseUrl: "http://127.0.0.1:1", scale: new TimeScale(1), emit: (e) => events.push(e), generator, signal, clock: new FixedClock() });
  return { summary, events, generator };
}

const ofType = <T extends LoadEvent["type"]>(events: LoadEvent[], type: T) => events.filter((e): e is LoadEventOf<T> => e.type === type);

describe("runLoad", () => {
  it("says of every second what the plan asked for and how late its requests left", async () => {
    // 10/s asked; second 1 sends its requests 250 ms late, second 3 sends only 4.
    const results = traffic(5)
      .map((r, n) => (n >= 10 && n < 20 ? { ...r, at: r.at + 250 } : r))
      .filter((_, n) => !(n >= 30 && n < 40 && n % 10 >= 4));
    const { events } = await run(profile(), results);
    const all = ofType(events, "load.second").filter((e) => e.version === "*");
    // Two of second 1's late requests leave in second 2.
    expect(all.map((e) => [e.second, e.requests, e.asked])).toEqual([
      [0, 10, 10],
      [1, 8, 10],
      [2, 12, 10],
      [3, 4, 10],
      [4, 10, 10],
    ]);
    expect(all.map((e) => e.lagMs)).toEqual([0, 250, 250, 0, 600]);
  });

  it("plans, runs, emits started / every second per version / finished, and judges the thresholds", async () => {
    const thresholds = [parseThreshold("http_req_failed", "rate<0.1"), parseThreshold("http_req_duration{version:good-2}", "max<=19")];
    const { summary, events, generator } = await run(profile({ thresholds }), traffic(5, (s, i) => s === 2 && i < 3));
    expect(generator.plan!.segments).toEqual([{ ratePerSecond: 10, durationMs: 5000 }]);
    expect(events[0]).toEqual({ type: "load.started", phase: "steady", target: "stable", executor: "constant-arrival-rate", plannedRequests: 50 });
    const seconds = ofType(events, "load.second");
    expect(seconds.filter((e) => e.version === "*").map((e) => e.second)).toEqual([0, 1, 2, 3, 4]);
    expect(seconds.filter((e) => e.version !== "*").map((e) => `${e.second}:${e.version}`)).toEqual(["0:good-1", "1:good-2", "2:good-1", "3:good-2", "4:good-1"]);
    expect(seconds.find((e) => e.second === 2 && e.version === "*")).toMatchObject({ requests: 10, failed: 3, codes: { "200": 7, "500": 3 }, max: 19 });
    const finished = events[events.length - 1];
    expect(finished).toEqual({
      type: "load.finished",
      phase: "steady",
      requests: 50,
      failed: 3,
      achievedRate: 10,
      stoppedBy: "completed",
      thresholds: [
        { metric: "http_req_failed", expression: "rate<0.1", observed: 0.06, pass: true, abortOnFail: false },
        { metric: "http_req_duration{version:good-2}", expression: "max<=19", observed: 19, pass: true, abortOnFail: false },
      ],
    });
    expect(summary).toMatchObject({ phase: "steady", generator: "fake", plannedRequests: 50, stoppedBy: "completed", requests: 50, secondsEmitted: 5, startedAt: T0 });
    expect(summary.abortedBy).toBeUndefined();
  });

  it("stops the load when an abortOnFail threshold fails at the end of a second, and says which and when", async () => {
    const thresholds = [parseThreshold("http_req_failed", "rate<0.5"), parseThreshold("http_req_failed", "rate<0.2", true)];
    // Seconds 0-1 are clean; second 2 fails 8 of 10: after second 2, 8/30 > 0.2.
    const { summary, events } = await run(profile({ durationMs: 10_000, thresholds }), traffic(10, (s, i) => s >= 2 && i < 8));
    expect(summary.stoppedBy).toBe("threshold");
    expect(summary.abortedBy).toEqual({ metric: "http_req_failed", expression: "rate<0.2", observed: 8 / 30, second: 2 });
    // The result that closed second 2 was already in; nothing after it.
    expect(summary.requests).toBe(31);
    expect(ofType(events, "load.second").filter((e) => e.version === "*").map((e) => e.second)).toEqual([0, 1, 2, 3]);
    const finished = ofType(events, "load.finished")[0]!;
    expect(finished.stoppedBy).toBe("threshold");
    expect(finished.thresholds.map((t) => [t.expression, t.pass, t.abortOnFail])).toEqual([
      ["rate<0.5", true, false],
      ["rate<0.2", false, true],
    ]);
  });

  it("does not stop for a failing threshold without abortOnFail", async () => {
    const { summary } = await run(profile({ thresholds: [parseThreshold("http_req_failed", "rate<0.01")] }), traffic(5, () => true));
    expect(summary.stoppedBy).toBe("completed");
    expect(summary.thresholdResults[0]).toMatchObject({ pass: false, observed: 1 });
  });

  it("rejects with INTERRUPTED when its signal aborts, after saying how far it got", async () => {
    const controller = new AbortController();
    const events: LoadEvent[] = [];
    const generator = new FakeGenerator(traffic(5), (i) => i === 14 && controller.abort());
    const err = await runLoad(profile(), {
      baseUrl: "http://127.0.0.1:1",
      scale: new TimeScale(1),
      emit: (e) => events.push(e),
      generator,
      signal: controller.signal,
      clock: new FixedClock(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe("INTERRUPTED");
    expect(ofType(events, "load.finished")[0]).toMatchObject({ requests: 15, stoppedBy: "aborted" });
  });

  it("resolves with its summary when stopped on purpose through `stop`", async () => {
    const stop = new AbortController();
    const events: LoadEvent[] = [];
    const summary = await runLoad(profile(), {
      baseUrl: "http://127.0.0.1:1",
      scale: new TimeScale(1),
      emit: (e) => events.push(e),
      generator: new FakeGenerator(traffic(5), (i) => i === 24 && stop.abort()),
      signal: new AbortController().signal,
      stop: stop.signal,
      clock: new FixedClock(T0 + 2500),
    });
    expect(summary).toMatchObject({ stoppedBy: "aborted", requests: 25, secondsEmitted: 3 });
    expect(ofType(events, "load.finished")[0]).toMatchObject({ requests: 25, stoppedBy: "aborted" });
  });

  it("passes the time scale to the plan and reports results to onResult", async () => {
    const seen: RequestResult[] = [];
    const generator = new FakeGenerator(traffic(1));
    await runLoad(profile({ durationMs: 600_000, maxRequests: 500 }), {
      baseUrl: "http://127.0.0.1:1",
      scale: new TimeScale(0.01),
      emit: () => undefined,
      generator,
      signal: new AbortController().signal,
      onResult: (r) => seen.push(r),
    });
    expect(generator.plan).toMatchObject({ segments: [{ ratePerSecond: 10, durationMs: 6000 }], maxRequests: 500 });
    expect(seen).toHaveLength(10);
  });
});
