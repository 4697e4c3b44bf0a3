import { describe, expect, it } from "vitest";
import type { AutoscalerStatus } from "../model/kubernetes.js";
import type { ReplicasExpectation } from "../scenario/scenario.js";
import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { describeExpectation, judge, type Evidence } from "./checker.js";

const step = (name: string, t: number, end: number): Array<Stamped<TimelineEvent>> => [
  { type: "step.started", step: name, t, at: "", specT: t } as unknown as Stamped<TimelineEvent>,
  { type: "step.finished", step: name, t: end, at: "", specT: end } as unknown as Stamped<TimelineEvent>,
];
const observed = (t: number, ready: number, total: number, autoscaler?: Partial<AutoscalerStatus>): Stamped<TimelineEvent> =>
  ({
    type: "pods.observed",
    t,
    at: "",
    specT: t,
    role: "stable",
    endpoints: ready,
    pods: Array.from({ length: total }, (_, i) => ({ name: `p-${i}`, version: "good-1", phase: "Running", ready: i < ready, restarts: 0 })),
    ...(autoscaler ? { autoscaler: { min: 3, max: 10, current: total, desired: total, cpuTarget: 70, memoryTarget: 80, ...autoscaler } } : {}),
  }) as unknown as Stamped<TimelineEvent>;
const evidence = (events: Array<Stamped<TimelineEvent>>): Evidence => ({ events, versions: new Map(), metrics: new Map() });

const rise: ReplicasExpectation = { id: "rise", kind: "replicas", version: "stable", during: "ramp", above: 3, atMost: 10 };
const back: ReplicasExpectation = { id: "back", kind: "replicas", version: "stable", during: "cooldown", end: 3 };

describe("judge: replicas (performance-config.yml autoscaling)", () => {
  const run = [
    ...step("ramp", 10, 60),
    ...step("cooldown", 60, 150),
    observed(5, 3, 3, { cpu: 2, memory: 40 }),
    observed(30, 3, 5, { cpu: 160, memory: 41, desired: 5, current: 5 }),
    observed(40, 5, 5, { cpu: 95, memory: 41 }),
    observed(50, 7, 7, { cpu: 72, memory: 42 }),
    observed(100, 7, 7, { cpu: 1, memory: 40, desired: 3 }),
    observed(120, 3, 3, { cpu: 1, memory: 40 }),
  ];

  it("holds when the ready pods and the autoscaler rose above the floor, never past the ceiling, and came back, with the CPU figures as evidence", () => {
    const j = judge(rise, evidence(run));
    expect(j).toMatchObject({
      held: true,
      evidence:
        "peak above 3: at 50.0s 7/7 pods ready; autoscaler 7 current, 7 desired (3-10), CPU 72% of requests (target 70%), memory 42% of requests (target 80%); never more than 10: most at 50.0s 7/7 pods ready; autoscaler 7 current, 7 desired (3-10), CPU 72% of requests (target 70%), memory 42% of requests (target 80%)",
    });
    expect(judge(back, evidence(run))).toMatchObject({ held: true, evidence: expect.stringMatching(/^3 at the end: at 120\.0s 3\/3 pods ready; autoscaler 3 current, 3 desired/) });
    expect(describeExpectation(rise)).toBe("stable's replicas under its autoscaler during ramp: rise above 3, never more than 10 (performance-config.yml: autoscaling)");
  });

  it("fails a rise that never came, a ceiling passed by the pods or by what the autoscaler asked, and an end not yet back", () => {
    const flat = [...step("ramp", 10, 60), observed(5, 3, 3, { cpu: 20 }), observed(30, 3, 3, { cpu: 30 })];
    expect(judge(rise, evidence(flat)).evidence).toMatch(/^MISMATCH peak above 3: at 5\.0s 3\/3 pods ready/);
    // Pods that are not ready yet count against the ceiling; so does a desire above it.
    expect(judge(rise, evidence([...step("ramp", 10, 60), observed(30, 5, 11, { current: 11, desired: 11 })])).evidence).toContain("MISMATCH never more than 10");
    expect(judge(rise, evidence([...step("ramp", 10, 60), observed(30, 5, 5, { current: 5, desired: 12 })])).held).toBe(false);
    const slow = [...step("cooldown", 60, 150), observed(100, 7, 7, { desired: 3 })];
    expect(judge(back, evidence(slow)).evidence).toMatch(/^MISMATCH 3 at the end: at 100\.0s 7\/7 pods ready; autoscaler 7 current, 3 desired/);
  });

  it("fails without an autoscaler, without observations, or when the step never ran", () => {
    expect(judge(rise, evidence([...step("ramp", 10, 60), observed(30, 5, 5)])).evidence).toBe("stable has no autoscaler in the window (the overlay has none, or the scenario fixes its replicas)");
    expect(judge(rise, evidence(step("ramp", 10, 60))).evidence).toBe("no observation of stable's pods in the window");
    expect(judge(rise, evidence([])).held).toBe(false);
  });
});
