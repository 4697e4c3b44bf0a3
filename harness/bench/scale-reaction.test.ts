import { describe, expect, it } from "vitest";
import { scaleReaction } from "./scale-reaction.js";

const pods = (ready: number) => Array.from({ length: ready }, () => ({ ready: true }));
const at = (t: number, ready: number, cpu?: number) => ({ type: "pods.observed", t, role: "stable", pods: pods(ready), autoscaler: { min: 3, cpuTarget: 70, ...(cpu !== undefined ? { cpu } : {}) } });

describe("the autoscaler's reaction, in spec time", () => {
  it("counts from the load's start and from the first CPU reading above the target to the first ready pod beyond the minimum", () => {
    const events = [{ type: "load.started", t: 10 }, at(5, 3), at(20, 3, 40), at(30, 3, 120), at(42, 4, 110), at(50, 6, 90)];
    // At time scale 0.25 the 32 s from the load to the 4th ready pod are 128 spec seconds; 12 s from the breach, 48.
    expect(scaleReaction(events, "stable", 0.25)).toEqual({ fromLoad: 128, fromBreach: 48 });
  });

  it("leaves out what the run never reached", () => {
    expect(scaleReaction([{ type: "load.started", t: 10 }, at(30, 3, 120)], "stable", 1)).toEqual({});
    expect(scaleReaction([at(30, 5, 20)], "stable", 1)).toEqual({});
  });
});
