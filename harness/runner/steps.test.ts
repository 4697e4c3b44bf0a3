import { describe, expect, it } from "vitest";
import { ManualClock } from "../../test/support/manual-clock.js";
import { TimeScale } from "../common/clock.js";
import { TeardownStack } from "../cleanup/teardown.js";
import type { KilledInstance, Platform, PlatformContext, Service } from "../platforms/platform.js";
import type { Step } from "../scenario/scenario.js";
import type { TimelineEvent } from "../timeline/events.js";
import { listScenarios, loadScenario, resolveScenarioPath } from "../scenario/load-scenario.js";
import { runSteps, unsupported } from "./steps.js";

const START = 1_000_000;

/** The steps against a platform whose only operation is a kill that records, on the clock, when it killed and restored. */
function setup(factor = 0.1) {
  const clock = new ManualClock({ start: START });
  const calls: Array<[string, number]> = [];
  const timeline: Array<[string, number]> = [];
  const teardown = new TeardownStack();
  const controller = new AbortController();
  const platform = {
    name: "docker",
    operations: {
      killInstance: async (role: string, index: number): Promise<KilledInstance> => {
        calls.push([`kill ${role}-${index}`, clock.now() - START]);
        return { detail: "killed", restore: async () => void calls.push(["restore", clock.now() - START]) };
      },
    },
  } as unknown as Platform;
  const stable: Service = { role: "stable", version: "good-1", instances: [] };
  const emit = (e: TimelineEvent) => {
    const what = e.type === "step.started" || e.type === "step.finished" ? `${e.type} ${e.step}` : e.type;
    if (e.type !== "note") timeline.push([what, clock.now() - START]);
  };
  const ctx = { runId: "test-steps", logDir: "/nonexistent", emit, teardown, images: undefined, signal: controller.signal } as unknown as PlatformContext;
  const run = (steps: Step[]) =>
    runSteps(steps, { ctx, platform, database: undefined, services: new Map([["stable", stable]]), scale: new TimeScale(factor), clock, pods: undefined });
  return { clock, calls, timeline, teardown, controller, run };
}

const kill = { type: "kill", role: "stable", instance: 0 } as const;

describe("runSteps with faults on the clock", () => {
  it("injects a fault `at` into its step while the step observes, and ends it `for` later while the next step observes", async () => {
    const { clock, calls, timeline, run } = setup(0.1);
    await clock.run(
      run([
        { name: "baseline", observeMs: 100_000 },
        { name: "crash", fault: kill, faultAtMs: 90_000, faultForMs: 60_000, observeMs: 120_000 },
        { name: "after", observeMs: 100_000 },
      ]),
    );
    // Wall time at scale 0.1: baseline 0-10 s, crash 10-22 s with the kill at 19 s, undone 6 s later at 25 s, after 22-32 s.
    expect(timeline).toEqual([
      ["step.started baseline", 0],
      ["step.finished baseline", 10_000],
      ["step.started crash", 10_000],
      ["fault.injected", 19_000],
      ["step.finished crash", 22_000],
      ["step.started after", 22_000],
      ["fault.undone", 25_000],
      ["step.finished after", 32_000],
    ]);
    expect(calls).toEqual([
      ["kill stable-0", 19_000],
      ["restore", 25_000],
    ]);
  });

  it("without at and for, injects before the step observes and leaves the undo to an undo step", async () => {
    const { clock, calls, timeline, run } = setup(1);
    await clock.run(
      run([
        { name: "crash", fault: kill, observeMs: 5_000 },
        { name: "recover", undo: "crash", observeMs: 5_000 },
      ]),
    );
    expect(timeline.map(([what]) => what)).toEqual(["step.started crash", "fault.injected", "step.finished crash", "step.started recover", "fault.undone", "step.finished recover"]);
    expect(calls).toEqual([
      ["kill stable-0", 0],
      ["restore", 5_000],
    ]);
  });

  it("takes an undo step for a fault its `for` already ended, doing nothing", async () => {
    const { clock, calls, run } = setup(1);
    await clock.run(
      run([
        { name: "crash", fault: kill, faultForMs: 2_000, observeMs: 5_000 },
        { name: "recover", undo: "crash", observeMs: 5_000 },
      ]),
    );
    expect(calls).toEqual([
      ["kill stable-0", 0],
      ["restore", 2_000],
    ]);
  });

  it("does not end in the middle of a timed fault: the steps end when its `for` is over", async () => {
    const { clock, calls, timeline, run } = setup(1);
    await clock.run(run([{ name: "crash", fault: kill, faultAtMs: 1_000, faultForMs: 30_000, observeMs: 5_000 }]));
    expect(timeline.at(-1)).toEqual(["fault.undone", 31_000]);
    expect(calls.at(-1)).toEqual(["restore", 31_000]);
    expect(clock.now() - START).toBe(31_000);
  });

  it("cancels a fault not injected yet when the run is aborted, and the teardown has nothing to undo", async () => {
    const { clock, calls, controller, teardown, run } = setup(1);
    const running = run([{ name: "crash", fault: kill, faultAtMs: 10_000, faultForMs: 5_000, observeMs: 20_000 }]);
    const failed = expect(running).rejects.toThrow();
    await clock.advance(5_000);
    controller.abort();
    await failed;
    await clock.advance(60_000);
    await teardown.runAll();
    expect(calls).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it("leaves an injected fault to the teardown when the run is aborted, which undoes it once", async () => {
    const { clock, calls, controller, teardown, run } = setup(1);
    const running = run([{ name: "crash", fault: kill, faultForMs: 50_000, observeMs: 20_000 }]);
    const failed = expect(running).rejects.toThrow();
    await clock.advance(5_000);
    controller.abort();
    await failed;
    expect(calls).toEqual([["kill stable-0", 0]]);
    await clock.advance(100_000);
    await teardown.runAll();
    expect(calls).toEqual([
      ["kill stable-0", 0],
      ["restore", 105_000],
    ]);
  });
});

describe("what a platform cannot do for a scenario", () => {
  const scenario = (name: string) => loadScenario(resolveScenarioPath(name));

  it("lets a load aimed at a role run on kind while an action replaces its pods (it goes through the role's Service)", () => {
    expect(unsupported(scenario("rollout-undo"), "kind")).toEqual([]);
    expect(unsupported(scenario("dr-pg-restore"), "kind")).toEqual([]);
  });

  it("keeps kind-only expectations off Docker, lets a kill fault and its monitor run on both, and every shipped kind scenario on kind", () => {
    for (const name of listScenarios().map((s) => s.name)) expect(unsupported(scenario(name), "kind"), name).toEqual([]);
    expect(unsupported(scenario("manual-rollback"), "kind")).toEqual([]);
    expect(unsupported(scenario("manual-rollback"), "docker").length).toBeGreaterThan(0);
    expect(unsupported(scenario("kill-recovers"), "kind")).toEqual([]);
    expect(unsupported(scenario("kill-recovers"), "docker")).toEqual([]);
  });
});
