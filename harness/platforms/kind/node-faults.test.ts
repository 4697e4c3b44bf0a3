import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../common/paths.js";
import { kindConfigWithWorkers } from "./cluster.js";
import { KindNodeFaults, isEvictable } from "./node-faults.js";
import type { KubeConfig, V1Pod } from "@kubernetes/client-node";
import { systemClock } from "../../common/clock.js";

describe("a kind cluster with workers", () => {
  it("adds the workers to kind-config.yaml beside its control plane, which keeps its port mappings and patches", () => {
    const text = readFileSync(join(ROOT, "kind-config.yaml"), "utf8");
    expect(kindConfigWithWorkers(text, 0)).toBe(text);
    const config = parse(kindConfigWithWorkers(text, 2)) as { nodes: Array<{ role: string; extraPortMappings?: unknown[] }>; kubeadmConfigPatches: string[] };
    expect(config.nodes.map((n) => n.role)).toEqual(["control-plane", "worker", "worker"]);
    expect(config.nodes[0]!.extraPortMappings).toHaveLength(6);
    expect(config.kubeadmConfigPatches).toEqual((parse(text) as { kubeadmConfigPatches: string[] }).kubeadmConfigPatches);
  });

  it("evicts what kubectl drain evicts: not DaemonSets' pods, static pods or finished ones", () => {
    const pod = (o: Partial<{ owner: string; mirror: boolean; phase: string }>): V1Pod => ({
      metadata: { name: "p", ...(o.owner ? { ownerReferences: [{ kind: o.owner, name: "x", apiVersion: "apps/v1", uid: "u" }] } : {}), ...(o.mirror ? { annotations: { "kubernetes.io/config.mirror": "abc" } } : {}) },
      status: { phase: o.phase ?? "Running" },
    });
    expect(isEvictable(pod({ owner: "ReplicaSet" }))).toBe(true);
    expect(isEvictable(pod({}))).toBe(true);
    expect(isEvictable(pod({ owner: "DaemonSet" }))).toBe(false);
    expect(isEvictable(pod({ mirror: true }))).toBe(false);
    expect(isEvictable(pod({ owner: "ReplicaSet", phase: "Succeeded" }))).toBe(false);
  });

  it("names a worker as the scenario does, and refuses the control plane or a node the cluster lacks with the workers it has", () => {
    const faults = new KindNodeFaults({ admin: {} as KubeConfig, nodes: ["c-control-plane", "c-worker", "c-worker2"], clusterName: "c", emit: () => undefined, clock: systemClock, signal: new AbortController().signal });
    expect(faults.resolve("worker2")).toBe("c-worker2");
    expect(() => faults.resolve("worker3")).toThrow('kind cluster c has no worker node "worker3": its workers are worker, worker2');
    expect(() => faults.resolve("control-plane")).toThrow(/no worker node "control-plane"/);
    const single = new KindNodeFaults({ admin: {} as KubeConfig, nodes: ["c-control-plane"], clusterName: "c", emit: () => undefined, clock: systemClock, signal: new AbortController().signal });
    expect(() => single.resolve("worker")).toThrow('kind cluster c has no worker node "worker": it has no workers');
  });
});
