import { describe, expect, it } from "vitest";
import { BackgroundLoop } from "./background-loop.js";

function loop(signal: AbortSignal) {
  const steps: string[] = [];
  const teardown: string[] = [];
  const l = new BackgroundLoop({
    title: "stop the loop",
    teardown: { add: (title) => teardown.push(title) },
    signal,
    run: async (life) => {
      steps.push("started");
      await new Promise<void>((resolve) => (life.aborted ? resolve() : life.addEventListener("abort", () => resolve(), { once: true })));
      steps.push("finished what was under way");
    },
  });
  return { l, steps, teardown };
}

describe("BackgroundLoop", () => {
  it("registers its stop on the teardown when it starts, once, and stop() waits for the work to end", async () => {
    const { l, steps, teardown } = loop(new AbortController().signal);
    l.start();
    l.start();
    expect(teardown).toEqual(["stop the loop"]);
    await l.stop();
    expect(steps).toEqual(["started", "finished what was under way"]);
  });

  it("ends when the run's signal aborts, and stop() before start() resolves at once", async () => {
    const run = new AbortController();
    const { l, steps } = loop(run.signal);
    await l.stop();
    l.start();
    run.abort();
    await l.stop();
    expect(steps).toEqual(["started", "finished what was under way"]);
  });
});
