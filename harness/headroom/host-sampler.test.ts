import { describe, expect, it } from "vitest";
import { HostSampler, parseProcStat } from "./host-sampler.js";

describe("parseProcStat", () => {
  it("counts idle and iowait as not busy", () => {
    expect(parseProcStat("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n")).toEqual({ busy: 150, total: 1000 });
  });
  it("has nothing to say about text without a cpu line", () => {
    expect(parseProcStat("intr 1 2 3\n")).toBeUndefined();
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

  it("says nothing of what it cannot read", () => {
    const sampler = new HostSampler(() => {
      throw new Error("ENOENT");
    });
    const r = sampler.reading();
    sampler.close();
    expect(r.cpu).toBeUndefined();
    expect(r.engineCpu).toBeUndefined();
  });
});
