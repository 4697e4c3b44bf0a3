import { describe, expect, it } from "vitest";
import { runContainers, passingRun } from "./cli.js";

// Faults on the run's clock, through the real CLI: a kill that starts in the middle of a step (at) and ends by itself (for).

describe("faults on Docker", () => {
  it("kill-recovers: instance 0 is killed 10 s into the step, down until its fault ends 30 s later, then answers /health 200 again", async () => {
    const { results, events } = await passingRun(["scenario", "kill-recovers"]);
    const crash = events.find((e) => e.type === "step.started" && e.step === "crash")!;
    const injected = events.find((e) => e.type === "fault.injected")!;
    const undone = events.find((e) => e.type === "fault.undone")!;
    expect(injected).toMatchObject({ fault: "kill", target: "stable-0", detail: expect.stringMatching(/killed \(SIGKILL\); Docker does not restart it/) });
    // Spec time: injected `at` 10 s into the step (the kill itself takes a moment), undone `for` 30 s after (and the successor's start).
    expect(injected.specT - crash.specT).toBeGreaterThanOrEqual(10);
    expect(injected.specT - crash.specT).toBeLessThan(14);
    expect(undone.specT - injected.specT).toBeGreaterThanOrEqual(30);
    expect(undone.specT - injected.specT).toBeLessThan(38);
    // The monitor's own view: instance 0 did not answer while killed, and answered before and after.
    const zero = events.filter((e) => e.type === "probe.observed" && String(e.target).endsWith("-stable-0"));
    const unanswered = zero.filter((e) => e.status === null);
    expect(unanswered.length).toBeGreaterThan(10);
    for (const e of unanswered) {
      expect(e.t).toBeGreaterThanOrEqual(injected.t - 1);
      expect(e.t).toBeLessThanOrEqual(undone.t);
    }
    expect(zero.some((e) => e.status === 200 && e.t < injected.t - 1)).toBe(true);
    expect(zero.some((e) => e.status === 200 && e.t > undone.t)).toBe(true);
    expect(await runContainers(results.runId)).toBe(0);
  }, 180_000);
});
