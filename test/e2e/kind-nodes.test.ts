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
  it("drains both workers in turn within production's PodDisruptionBudget, loses one, and keeps serving; the cluster is gone after", async () => {
    run = await passingRun(["scenario", "node-failure"]);
    const { events } = run;
    // One cluster of three nodes, made for the run.
    expect(events.filter((e) => e.type === "cluster.ready").map((e) => [e.created, e.nodes])).toEqual([[true, 3]]);
    // Before the drains the replicas were on both workers (the overlay's spread), none on the control plane.
    const observed = events.filter((e): e is Pods => e.type === "pods.observed" && e.role === "stable");
    const drains = events.filter((e) => e.type === "fault.injected" && e.fault === "node-drain");
    expect(drains.map((e) => e.target)).toEqual(["worker", "worker2"]);
    const before = observed.filter((e) => e.t < drains[0]!.t && e.pods.length === 3 && e.pods.every((p) => p.ready)).pop()!;
    const nodes = (s: Pods) => [...new Set(s.pods.map((p) => p.node!.replace(/^.*-/, "")))].sort();
    expect(nodes(before)).toEqual(["worker", "worker2"]);
    // The second drain took all three from worker2, one at a time: the budget refused evictions on the way, and never
    // fewer than 2 of 3 were ready. They all run on the first worker after.
    const evictions = events.filter((e) => e.type === "node.eviction" && String(e.pod).includes("stable")) as Array<RunEvent & { node: string; refusals: number }>;
    expect(evictions.filter((e) => e.node.endsWith("-worker2"))).toHaveLength(3);
    expect(evictions.reduce((n, e) => n + e.refusals, 0)).toBeGreaterThan(0);
    expect(observed.filter((e) => e.budget).every((e) => e.pods.filter((p) => p.ready).length >= 2)).toBe(true);
    expect(nodes(observed.pop()!)).toEqual(["worker"]);
    // worker2 went down and came back.
    const down = events.find((e) => e.type === "fault.injected" && e.fault === "node-down")!;
    expect(String(down.detail)).toMatch(/stopped .* marked it not ready/);
    expect(String(events.find((e) => e.type === "fault.undone" && e.fault === "node-down")?.detail ?? "")).toMatch(/started again and Ready/);
    expect(await clusters.new()).toEqual([]);
    expect(await leftBy(run.run.pid)).toEqual({ containers: 0, networks: 0 });
  }, 20 * 60_000);
});
