import { describe, expect, it } from "vitest";
import { DEFAULT_HEADROOM, saturatedSpans, saturationDuring, type HostSample, type LoadSecond } from "./saturation.js";

const host = (atMs: number, cpu: number, loopDelayMs = 5): HostSample => ({ atMs, spanMs: 500, cpu, loopDelayMs });
const second = (atMs: number, asked: number, sent: number, lagMs?: number): LoadSecond => ({ atMs, asked, sent, lagMs });

describe("saturatedSpans", () => {
  it("calls the host saturated only when its CPU stays at the limit for cpuSamples samples in a row", () => {
    expect(DEFAULT_HEADROOM.cpuSamples).toBe(4);
    expect(saturatedSpans([host(500, 0.99), host(1000, 0.99), host(1500, 0.99), host(2000, 0.5), host(2500, 0.99)], [], DEFAULT_HEADROOM)).toEqual([]);
    const spans = saturatedSpans([host(500, 0.5), host(1000, 0.97), host(1500, 1), host(2000, 0.98), host(2500, 1), host(3000, 0.4)], [], DEFAULT_HEADROOM);
    expect(spans).toEqual([{ fromMs: 500, toMs: 2500, reason: "host CPU 100% busy (limit 97%) for 4 samples in a row" }]);
  });

  it("is not fooled by a host just under the limit", () => {
    expect(saturatedSpans([host(500, 0.96), host(1000, 0.969), host(1500, 0.96), host(2000, 0.969), host(2500, 0.969)], [], DEFAULT_HEADROOM)).toEqual([]);
  });

  it("counts a single sample of event-loop delay at the limit", () => {
    expect(saturatedSpans([host(500, 0.2, 249)], [], DEFAULT_HEADROOM)).toEqual([]);
    expect(saturatedSpans([host(500, 0.2, 250)], [], DEFAULT_HEADROOM)[0]?.reason).toBe("the harness's event loop was delayed 250 ms (limit 250 ms)");
  });

  it("counts a single sample in which every task was stalled on I/O or memory for the stall share", () => {
    const stalled = (io: number, memory = 0): HostSample => ({ ...host(500, 0.3), ioStall: io, memoryStall: memory });
    expect(saturatedSpans([stalled(0.49, 0.2)], [], DEFAULT_HEADROOM)).toEqual([]);
    expect(saturatedSpans([stalled(0.5)], [], DEFAULT_HEADROOM)).toEqual([{ fromMs: 0, toMs: 500, reason: "every task on the host was stalled on I/O 50% of the time (limit 50%)" }]);
    expect(saturatedSpans([stalled(0.1, 0.8)], [], DEFAULT_HEADROOM)[0]?.reason).toBe("every task on the host was stalled on memory 80% of the time (limit 50%)");
    // A kernel without pressure information says nothing either way.
    expect(saturatedSpans([host(500, 0.3)], [], DEFAULT_HEADROOM)).toEqual([]);
  });

  it("counts a second of load that sent under the delivered fraction, or late", () => {
    expect(saturatedSpans([], [second(1000, 100, 90), second(2000, 100, 100, 499)], DEFAULT_HEADROOM)).toEqual([]);
    const spans = saturatedSpans([], [second(1000, 100, 89), second(2000, 100, 100, 500)], DEFAULT_HEADROOM);
    expect(spans.map((s) => s.reason)).toEqual([
      "the load sent 89 of the 100 requests a second asked for (limit 90%)",
      "the load sent requests 500 ms behind their schedule (limit 500 ms)",
    ]);
    expect(spans[0]).toMatchObject({ fromMs: 0, toMs: 1000 });
  });

  it("ignores seconds that ask for too little to miss by much", () => {
    expect(saturatedSpans([], [second(1000, 4, 0)], DEFAULT_HEADROOM)).toEqual([]);
  });

  it("follows the limits it is given", () => {
    const limits = { ...DEFAULT_HEADROOM, cpu: 0.8, cpuSamples: 1 };
    expect(saturatedSpans([host(500, 0.85)], [], limits)).toHaveLength(1);
  });
});

describe("saturationDuring", () => {
  const spans = [{ fromMs: 1000, toMs: 2000, reason: "x" }];
  it("finds a span that overlaps the window, and none that only touches it", () => {
    expect(saturationDuring(spans, 1500, 3000)?.reason).toBe("x");
    expect(saturationDuring(spans, 0, 1000)).toBeUndefined();
    expect(saturationDuring(spans, 2000, 3000)).toBeUndefined();
    expect(saturationDuring(spans, 0, 5000)?.reason).toBe("x");
  });
});
