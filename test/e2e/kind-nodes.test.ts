// lane: kind (scripts/test.sh runs the kind files one after another, beside the Docker lane)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NewKindClusters } from "../support/kind-clusters.js";
import { leftBy, passingRun, type RunEvent } from "./cli.js";

// node-failure on a kind cluster of its own with two workers, created for the run and deleted after it.
const clusters = new NewKindClusters();
let run: Awaited<ReturnType<typeof passingRun>>;

beforeAll(async () => {
  await clusters.remember();
}, 60_000);
afterAll(() => clusters.removeNew(), 120_000);

type Pods = RunEvent & { role: string; pods: Array<{ name: string; ready: boolean; node?: string }>; budget?: { minAvailable: number; healthy: number; desiredHealthy: number } };

describe("node-failure on a kind cluster with two workers", () => {
  it("drains a worker within production's PodDisruptionBudget, loses it, and keeps serving; the cluster is gone after", async () => {
    run = await passingRun(["scenario", "node-failure"]);
    const { events } = run;
    // One cluster of three nodes, made for the run.
    expect(events.filter((e) => e.type === "cluster.ready").map((e) => [e.created, e.nodes])).toEqual([[true, 3]]);
    // Before the drain the replicas were on both workers (the overlay's spread), none on the control plane.
    const observed = events.filter((e): e is Pods => e.type === "pods.observed" && e.role === "stable");
    const drained = events.find((e) => e.type === "fault.injected" && e.fault === "node-drain")!;
    const before = observed.filter((e) => e.t < drained.t && e.pods.length === 3 && e.pods.every((p) => p.ready)).pop()!;
    const nodes = (s: Pods) => new Set(s.pods.map((p) => p.node));
    expect([...nodes(before)].sort()).toEqual([expect.stringMatching(/-worker$/), expect.stringMatching(/-worker2$/)]);
    // The drain evicted the stable pods on the worker, the budget kept 2 of 3 ready, and they run on worker2 after.
    const evictions = events.filter((e) => e.type === "node.eviction" && String(e.pod).includes("stable"));
    expect(evictions.length).toBe(before.pods.filter((p) => p.node?.endsWith("-worker")).length);
    expect(observed.filter((e) => e.t >= drained.t - 30 && e.budget).every((e) => e.pods.filter((p) => p.ready).length >= 2)).toBe(true);
    const after = observed.filter((e) => e.t > drained.t).pop()!;
    expect([...nodes(after)]).toEqual([expect.stringMatching(/-worker2$/)]);
    // The worker went down and came back.
    const down = events.find((e) => e.type === "fault.injected" && e.fault === "node-down")!;
    expect(String(down.detail)).toMatch(/stopped .* marked it not ready/);
    expect(String(events.find((e) => e.type === "fault.undone" && e.fault === "node-down")?.detail ?? "")).toMatch(/started again and Ready/);
    expect(await clusters.new()).toEqual([]);
    expect(await leftBy(run.run.pid)).toEqual({ containers: 0, networks: 0 });
  }, 20 * 60_000);
});
