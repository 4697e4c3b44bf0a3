import type { CoreV1Api, KubeConfig, V1Node, V1Pod } from "@kubernetes/client-node";
import { waitFor, type Clock } from "../../common/clock.js";
import { HarnessError, errorMessage } from "../../common/errors.js";
import { docker } from "../../engine/docker.js";
import type { Sink } from "../../timeline/events.js";
import type { InstanceFault } from "../platform.js";
import { setUpPodNetwork } from "./pod-network.js";

/**
 * Faults on a whole node of a kind cluster with workers (issue: node-drain,
 * node-down). Nodes are the cluster's, not the run's: these act with the
 * cluster's admin credentials, kept apart from the run's own account (which
 * can touch nothing outside its namespace).
 *
 * - drain: what `kubectl drain --ignore-daemonsets --delete-emptydir-data`
 *   does. The node is cordoned, then every pod on it but DaemonSets' and
 *   static ones is evicted through the Eviction API, so a
 *   PodDisruptionBudget holds an eviction back (429) until its pods are
 *   healthy enough; kubectl retries every 5 s, this every second. Done when
 *   the node runs none of them. Undo uncordons it (the pods stay where they
 *   went, as after `kubectl uncordon`).
 * - down: the node's container stopped at once (SIGKILL: a machine losing
 *   power), until the node controller marks it NotReady. Undo starts it
 *   again, waits for it to be Ready and sets the pod network up again (the
 *   node comes back with new network rules, maybe a new address).
 */
export interface NodeFaultsOptions {
  readonly admin: KubeConfig;
  /** The cluster's node names (its containers'), the control plane first. */
  readonly nodes: readonly string[];
  readonly clusterName: string;
  readonly emit: Sink;
  readonly clock: Clock;
  readonly signal: AbortSignal;
}

/** How long a drain may take: the budget may hold an eviction until a replacement pod is ready elsewhere. */
const DRAIN_TIMEOUT_MS = 300_000;
const RETRY_MS = 1_000;

export class KindNodeFaults {
  private core: CoreV1Api | undefined;

  constructor(private readonly o: NodeFaultsOptions) {}

  /** The node a scenario names ("worker", "worker2"): its full name in this cluster. */
  resolve(node: string): string {
    const full = `${this.o.clusterName}-${node}`;
    if (!this.o.nodes.includes(full) || node === "control-plane") {
      const workers = this.o.nodes.filter((n) => !n.endsWith("-control-plane")).map((n) => n.slice(this.o.clusterName.length + 1));
      throw new HarnessError("SCENARIO_INVALID", `kind cluster ${this.o.clusterName} has no worker node "${node}"${workers.length ? `: its workers are ${workers.join(", ")}` : ": it has no workers"}`, {
        hint: "give the scenario cluster: { workers: N } and name one of worker, worker2, ...",
      });
    }
    return full;
  }

  async drain(name: string): Promise<InstanceFault> {
    const node = this.resolve(name);
    const core = await this.api();
    const started = this.o.clock.now();
    await this.cordon(node, true);
    const evictions: Array<{ pod: string; refusals: number; seconds: number }> = [];
    try {
      const pending = new Map<string, { pod: V1Pod; refusals: number; since: number }>();
      for (const pod of await evictable(core, node)) pending.set(podKey(pod), { pod, refusals: 0, since: this.o.clock.now() });
      await waitFor(
        async () => {
          for (const [key, entry] of pending) {
            const outcome = await this.evict(core, entry.pod);
            if (outcome === "refused") {
              entry.refusals++;
              continue;
            }
            pending.delete(key);
            const seconds = (this.o.clock.now() - entry.since) / 1000;
            evictions.push({ pod: key, refusals: entry.refusals, seconds });
            this.o.emit({ type: "node.eviction", node, pod: key, refusals: entry.refusals, seconds });
          }
          if (pending.size > 0) return undefined;
          // Evicted is not gone: done when the node runs none of them (their grace period over).
          return (await evictable(core, node)).length === 0 ? true : undefined;
        },
        {
          description: `node ${node} to be drained (${[...pending.keys()].join(", ") || "evicted pods to end"})`,
          timeoutMs: DRAIN_TIMEOUT_MS,
          intervalMs: RETRY_MS,
          clock: this.o.clock,
          signal: this.o.signal,
          hint: "a PodDisruptionBudget that can never allow the eviction (minAvailable as high as the replicas, or no other node to run on) holds a drain for ever, as it does kubectl drain",
        },
      );
    } catch (e) {
      // A failed drain leaves the node schedulable again, as it was.
      await this.cordon(node, false).catch(() => undefined);
      throw e;
    }
    const refused = evictions.reduce((n, e) => n + e.refusals, 0);
    const seconds = ((this.o.clock.now() - started) / 1000).toFixed(1);
    return {
      detail: `node ${node} cordoned and drained in ${seconds} s: ${evictions.length} pod(s) evicted${evictions.length ? ` (${evictions.map((e) => e.pod).join(", ")})` : ""}, ${refused} eviction(s) refused by a PodDisruptionBudget on the way`,
      undo: async () => {
        await this.cordon(node, false);
        return `node ${node} uncordoned`;
      },
    };
  }

  async down(name: string): Promise<InstanceFault> {
    const node = this.resolve(name);
    const core = await this.api();
    const started = this.o.clock.now();
    await docker().getContainer(node).stop({ t: 0 });
    const wait = { clock: this.o.clock, signal: this.o.signal, intervalMs: 500 };
    const notReady = await waitFor(async () => (readiness(await core.readNode({ name: node })) !== "True" ? this.o.clock.now() : undefined), {
      description: `the node controller to mark node ${node} not ready`,
      timeoutMs: 120_000,
      ...wait,
    });
    let undone = false;
    return {
      detail: `node ${node} stopped (its container killed); the node controller marked it not ready ${((notReady - started) / 1000).toFixed(1)} s later`,
      undo: async () => {
        if (undone) return;
        const back = this.o.clock.now();
        const container = docker().getContainer(node);
        if (!(await container.inspect()).State.Running) await container.start();
        await waitFor(async () => (readiness(await core.readNode({ name: node }).catch(() => undefined)) === "True" ? true : undefined), {
          description: `node ${node} to be Ready again`,
          timeoutMs: 180_000,
          ...wait,
          hint: `docker exec ${node} journalctl -u kubelet shows why`,
        });
        await setUpPodNetwork({ admin: this.o.admin, expected: this.o.nodes.length, first: false, clock: this.o.clock, signal: this.o.signal, log: () => undefined });
        undone = true;
        return `node ${node} started again and Ready ${((this.o.clock.now() - back) / 1000).toFixed(1)} s later, its pod network set up again`;
      },
    };
  }

  private async api(): Promise<CoreV1Api> {
    if (!this.core) {
      const { CoreV1Api } = await import("@kubernetes/client-node");
      this.core = this.o.admin.makeApiClient(CoreV1Api);
    }
    return this.core;
  }

  private async cordon(node: string, unschedulable: boolean): Promise<void> {
    const { PatchStrategy, setHeaderOptions } = await import("@kubernetes/client-node");
    await (await this.api()).patchNode({ name: node, body: { spec: { unschedulable } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
  }

  /** One eviction: "evicted" (or the pod already gone), "refused" when a PodDisruptionBudget holds it back (429). */
  private async evict(core: CoreV1Api, pod: V1Pod): Promise<"evicted" | "refused"> {
    try {
      await core.createNamespacedPodEviction({
        name: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
        body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace! } },
      });
      return "evicted";
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === 429) return "refused";
      if (code === 404) return "evicted";
      throw new HarnessError("CLUSTER_FAILED", `could not evict pod ${podKey(pod)}: ${errorMessage(e).slice(0, 300)}`, { cause: e });
    }
  }
}

function podKey(pod: V1Pod): string {
  return `${pod.metadata!.namespace}/${pod.metadata!.name}`;
}

/** The pods a drain evicts from a node: all but DaemonSets' (they belong on every node) and static ones (the kubelet's own). */
export function isEvictable(pod: V1Pod): boolean {
  const owners = pod.metadata?.ownerReferences ?? [];
  if (owners.some((o) => o.kind === "DaemonSet")) return false;
  if (pod.metadata?.annotations?.["kubernetes.io/config.mirror"] !== undefined) return false;
  return pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed";
}

async function evictable(core: CoreV1Api, node: string): Promise<V1Pod[]> {
  const pods = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` });
  return pods.items.filter(isEvictable);
}

function readiness(node: V1Node | undefined): string | undefined {
  return node?.status?.conditions?.find((c) => c.type === "Ready")?.status;
}
