import { describe, expect, it } from "vitest";
import { HostSampler, parsePressureFull, parseProcStat } from "./host-sampler.js";

describe("parseProcStat", () => {
  it("counts idle and iowait as not busy", () => {
    expect(parseProcStat("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n")).toEqual({ busy: 150, total: 1000 });
  });
  it("has nothing to say about text without a cpu line", () => {
    expect(parseProcStat("intr 1 2 3\n")).toBeUndefined();
  });
});

describe("parsePressureFull", () => {
  it("reads the total of the full line, in microseconds", () => {
    expect(parsePressureFull("some avg10=0.00 avg60=2.21 avg300=2.92 total=589644826\nfull avg10=0.00 avg60=2.17 avg300=2.51 total=249296873\n")).toBe(249296873);
  });
  it("has nothing to say without a full line (the kernel's cpu file had none before 5.13)", () => {
    expect(parsePressureFull("some avg10=0.00 avg60=0.00 avg300=0.00 total=1\n")).toBeUndefined();
  });
});

describe("HostSampler", () => {
  it("reads busy time between two readings, and the engine's share of all cores", () => {
    let stat = "cpu  100 0 0 900 0 0 0 0\n";
    let engine = "0\n";
    const sampler = new HostSampler((p) => (p === "/proc/stat" ? stat : p.endsWith("cpuacct.usage") ? engine : ""));
    stat = "cpu  400 0 100 1500 0 0 0 0\n";
    engine = "1000\n";
    const r = sampler.reading();
    sampler.close();
    expect(r.cpu).toBeCloseTo(0.4, 6);
    expect(r.engineCpu).toBeGreaterThan(0);
    expect(r.cores).toBeGreaterThan(0);
  });

  it("reads the share of the time every task was stalled on I/O and on memory", async () => {
    let io = "full avg10=0 avg60=0 avg300=0 total=1000000\n";
    const memory = "full avg10=0 avg60=0 avg300=0 total=5\n";
    const sampler = new HostSampler((p) => (p.endsWith("/io") ? io : p.endsWith("/memory") ? memory : ""));
    await new Promise((r) => setTimeout(r, 50));
    io = `full avg10=0 avg60=0 avg300=0 total=${1000000 + 1_000_000}\n`; // a whole second of stall: more than the time passed
    const r = sampler.reading();
    sampler.close();
    expect(r.ioStall).toBe(1);
    expect(r.memoryStall).toBe(0);
  });

  it("says nothing of what it cannot read", () => {
    const sampler = new HostSampler(() => {
      throw new Error("ENOENT");
    });
    const r = sampler.reading();
    sampler.close();
    expect(r.cpu).toBeUndefined();
    expect(r.engineCpu).toBeUndefined();
    expect(r.ioStall).toBeUndefined();
    expect(r.memoryStall).toBeUndefined();
  });
});
