import { describe, expect, it } from "vitest";
import { speedParts } from "./speed-bench.js";

describe("speedParts", () => {
  it("reads where a run's seconds went from its timeline and the command's wall time", () => {
    const events = [
      { type: "run.started", t: 0 },
      { type: "resource.started", kind: "network", role: "network", t: 0.1 },
      { type: "resource.started", kind: "container", role: "router", t: 1.9 },
      { type: "resource.started", kind: "container", role: "prometheus", t: 2.0 },
      { type: "resource.started", kind: "container", role: "database", t: 2.5 },
      { type: "resource.started", kind: "container", role: "candidate", t: 3.9 },
      { type: "resource.started", kind: "container", role: "stable", t: 3.6 },
      { type: "load.started", t: 6.2 },
      { type: "strategy.started", t: 6.4 },
      { type: "strategy.finished", t: 7.6 },
      { type: "load.finished", t: 9.6 },
      { type: "run.finished", t: 11.0 },
    ];
    expect(speedParts(events, 12.5, "passed")).toEqual({
      command: 12.5,
      verdict: "passed",
      outsideRun: 1.5,
      database: 2.5,
      versions: 3.9,
      router: 1.9,
      prometheus: 2.0,
      firstScrape: 6.2,
      strategy: expect.closeTo(1.2, 9),
      afterDecision: expect.closeTo(2.0, 9),
      teardown: expect.closeTo(1.4, 9),
    });
  });

  it("on kind, reads the Deployments, the cluster and kind load's seconds", () => {
    const events = [
      { type: "run.started", t: 0 },
      { type: "cluster.ready", t: 14.1 },
      { type: "note", message: "kind load: 10.0 s", t: 24.5 },
      { type: "resource.started", kind: "container", role: "database", t: 17.8 },
      { type: "resource.started", kind: "deployment", role: "stable", t: 29.9 },
      { type: "resource.started", kind: "deployment", role: "candidate", t: 29.7 },
      { type: "resource.started", kind: "deployment", role: "router", t: 32.2 },
      { type: "resource.started", kind: "deployment", role: "prometheus", t: 34.7 },
      { type: "load.started", t: 38.6 },
      { type: "strategy.started", t: 38.8 },
      { type: "strategy.finished", t: 40.1 },
      { type: "load.finished", t: 42.1 },
      { type: "run.finished", t: 43.4 },
    ];
    expect(speedParts(events, 47, "passed")).toMatchObject({ cluster: 14.1, kindLoad: 10, database: 17.8, versions: 29.9, router: 32.2, prometheus: 34.7 });
    expect(speedParts(events.filter((e) => e.type !== "note"), 47, "passed").kindLoad).toBe(0);
    expect(speedParts(events.filter((e) => e.type !== "cluster.ready"), 47, "passed")).not.toHaveProperty("cluster");
  });
});
