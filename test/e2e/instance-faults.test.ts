import { describe, expect, it } from "vitest";
import { cli, readEvents, readResults, runContainers } from "./cli.js";

// The partition fault through the real CLI, on the run's clock: one instance cut off from the database in the middle of a step.

describe("instance faults on Docker", () => {
  it("partition-recovers: instance 0 loses the database 10 s into the step (its /ready 503 naming it, instance 1 ready throughout), then is ready again", async () => {
    const r = await cli(["scenario", "partition-recovers"]);
    expect(r.runDir, `stderr: ${r.stderr}\nstdout: ${r.stdout}`).toBeDefined();
    const results = readResults(r.runDir!);
    for (const e of results.expectations) expect(e.held, `${e.id}: ${e.evidence}`).toBe(true);
    expect(r.code).toBe(0);

    const events = readEvents(r.runDir!);
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
