import { describe, expect, it } from "vitest";
import { runContainers, passingRun } from "./cli.js";

// The partition fault through the real CLI, on the run's clock: one instance cut off from the database in the middle of a step.

describe("instance faults on Docker", () => {
  it("partition-recovers: instance 0 loses the database 10 s into the step (its /ready 503 naming it, instance 1 ready throughout), then is ready again", async () => {
    const { results, events } = await passingRun(["scenario", "partition-recovers"]);
    const step = events.find((e) => e.type === "step.started" && e.step === "partition")!;
    const injected = events.find((e) => e.type === "fault.injected")!;
    const undone = events.find((e) => e.type === "fault.undone")!;
    expect(injected).toMatchObject({ fault: "partition", target: "stable-0", detail: expect.stringMatching(/-stable-0 cut off from database \(\d+\.\d+\.\d+\.\d+\): packets both ways dropped/) });
    expect(undone).toMatchObject({ fault: "partition", target: "stable-0" });
    expect(injected.specT - step.specT).toBeGreaterThanOrEqual(10);
    expect(injected.specT - step.specT).toBeLessThan(16);
    expect(undone.specT - injected.specT).toBeGreaterThanOrEqual(30);
    expect(undone.specT - injected.specT).toBeLessThan(36);
    // The monitor's own view: instance 0 answered 503 naming the database only while partitioned; instance 1 was ready all along.
    const probes = (suffix: string) => events.filter((e) => e.type === "probe.observed" && String(e.target).endsWith(suffix));
    const zero = probes("-stable-0");
    const unready = zero.filter((e) => e.status !== 200);
    expect(unready.length).toBeGreaterThan(5);
    for (const e of unready) {
      expect(e.status).toBe(503);
      expect(e.body).toMatchObject({ failing: ["database"] });
      expect(e.t).toBeGreaterThanOrEqual(injected.t - 1);
      expect(e.t).toBeLessThanOrEqual(undone.t + 5);
    }
    expect(zero.some((e) => e.status === 200 && e.t > undone.t)).toBe(true);
    const one = probes("-stable-1");
    expect(one.length).toBeGreaterThan(20);
    expect(one.every((e) => e.status === 200)).toBe(true);
    expect(await runContainers(results.runId)).toBe(0);
  }, 180_000);
});

describe("crash loop on Docker", () => {
  it("crash-loop: Docker's restart policy restarts instance 0 with a growing back-off each time it is killed, instance 1 answers throughout, and the instance is back after the loop", async () => {
    const { results, events } = await passingRun(["scenario", "crash-loop"]);
    const injected = events.find((e) => e.type === "fault.injected")!;
    const undone = events.find((e) => e.type === "fault.undone")!;
    expect(injected).toMatchObject({ fault: "crash-loop", target: "stable-0", detail: expect.stringContaining("Docker's restart policy (on-failure)") });
    expect(undone.specT - injected.specT).toBeGreaterThanOrEqual(30);
    expect(String(undone.detail)).toMatch(/^killed (\d+) time\(s\), restarted by Docker's restart policy \(on-failure\) \1 time\(s\); up and ready again, restart policy back to none$/);
    // Each restart is the platform's own, while the loop ran, and Docker's back-off grows between them.
    const restarts = events.filter((e) => e.type === "instance.restarted");
    expect(restarts.length).toBeGreaterThanOrEqual(5);
    expect(restarts.map((e) => e.restarts)).toEqual(restarts.map((_, i) => i + 1));
    for (const e of restarts) expect(e.t).toBeGreaterThanOrEqual(injected.t - 1);
    const gaps = restarts.slice(1).map((e, i) => e.t - restarts[i]!.t);
    expect(gaps.at(-1)!).toBeGreaterThan(4 * gaps[0]!);
    // The monitor followed the instance to the host port Docker gave it at each restart: it answers again after the loop.
    const probes = (suffix: string) => events.filter((e) => e.type === "probe.observed" && String(e.target).endsWith(suffix));
    const zero = probes("-stable-0");
    expect(zero.filter((e) => e.status !== 200 && e.t > injected.t && e.t < undone.t).length).toBeGreaterThan(3);
    expect(zero.filter((e) => e.t > undone.t).every((e) => e.status === 200)).toBe(true);
    const one = probes("-stable-1");
    expect(one.length).toBeGreaterThan(100);
    expect(one.every((e) => e.status === 200)).toBe(true);
    // Nothing left: the container the policy restarted is removed with the run.
    expect(await runContainers(results.runId)).toBe(0);
  }, 300_000);
});
