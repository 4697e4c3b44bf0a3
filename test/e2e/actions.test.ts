import { describe, expect, it } from "vitest";
import { readEvents, runContainers, type RunEvent, passingRun } from "./cli.js";

// Operator actions on Docker, through the real CLI: the action registry runs them on every platform that implements them.

describe("operator actions on Docker", () => {
  it("rollout-undo: the bad release is recreated over good-1, serves errors, and the undo brings good-1 back, ready", async () => {
    const { run: r, results } = await passingRun(["scenario", "rollout-undo"]);    expect(results.verdict).toBe("passed");

    const events = readEvents(r.runDir!);
    const actions = events.filter((e) => e.type === "action.performed");
    expect(actions.map((a) => [a.action, a.target])).toEqual([
      ["rollout", "stable"],
      ["rollout-undo", "stable"],
    ]);
    expect(actions[1]!.detail).toMatch(/rolled back from erroring-1 to good-1 \(2 container\(s\) recreated, every instance ready\)/);
    // Each action replaced both containers: removed, then started again under the same name.
    const removed = events.filter((e) => e.type === "resource.removed" && e.kind === "container" && e.role === "stable" && e.t < actions[1]!.t + 1);
    expect(removed.length).toBeGreaterThanOrEqual(4);
    // The load's own view: erroring-1 answered between the rollout and the undo, good-1 before and after.
    const loadStart = events.find((e) => e.type === "load.started")!.t;
    const seconds = events.filter((e) => e.type === "load.second" && (e.requests as number) > 0);
    const at = (e: RunEvent) => loadStart + (e.second as number);
    const rolloutAt = actions[0]!.t;
    const undoAt = actions[1]!.t;
    expect(seconds.some((e) => e.version === "good-1" && at(e) < rolloutAt - 1)).toBe(true);
    expect(seconds.some((e) => e.version === "erroring-1" && at(e) > rolloutAt - 2 && at(e) < undoAt)).toBe(true);
    expect(seconds.some((e) => e.version === "good-1" && at(e) > undoAt)).toBe(true);
    expect(seconds.some((e) => e.version === "erroring-1" && at(e) > undoAt + 1)).toBe(false);
    expect(await runContainers(results.runId)).toBe(0);
  }, 180_000);
});
