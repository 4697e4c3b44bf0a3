import type { KubeConfig } from "@kubernetes/client-node";
import { systemClock, waitFor, type Clock } from "../../common/clock.js";

/**
 * What a kind cluster has reached as it starts, each waited for with a
 * deadline: the API server answering (what a run needs first), every node
 * Ready, and a kube-system DaemonSet running on every node. A node turns
 * Ready seconds before the controller manager has started the controllers
 * that make any pod (it starts them one by one, several seconds on 2
 * cores): the start-up benches time a cluster until it runs pods, i.e. its
 * nodes Ready and kube-system's DaemonSets (kube-proxy, and the policy agent
 * where the harness has it) running on each.
 */
export interface Waiting {
  clock?: Clock;
  signal?: AbortSignal;
}

/** The API server answers (a namespace list: namespaces are what the harness creates first). */
export async function waitApiServer(kc: KubeConfig, what: string, hint: string, o: Waiting = {}): Promise<void> {
  const { CoreV1Api } = await import("@kubernetes/client-node");
  const core = kc.makeApiClient(CoreV1Api);
  // waitFor keeps trying through errors, and names the last one when it gives up.
  await waitFor(async () => (await core.listNamespace({ limit: 1 }), true), {
    description: `the API server of ${what} to answer`,
    timeoutMs: 120_000,
    intervalMs: 100,
    hint,
    ...options(o),
  });
}

/** Every node registered Ready; with `count`, exactly that many nodes registered. */
export async function waitNodesReady(kc: KubeConfig, what: string, count: number | undefined, o: Waiting = {}): Promise<void> {
  const { CoreV1Api } = await import("@kubernetes/client-node");
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(
    async () => {
      const nodes = (await core.listNode()).items;
      const registered = count === undefined ? nodes.length > 0 : nodes.length === count;
      return registered && nodes.every((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) ? true : undefined;
    },
    { description: `the node(s) of ${what} to be Ready`, timeoutMs: 180_000, intervalMs: 100, ...options(o) },
  );
}

/** DaemonSet kube-system/`name` ready on every node it wants. */
export async function waitDaemonSetReady(kc: KubeConfig, name: string, o: Waiting = {}): Promise<void> {
  const { AppsV1Api } = await import("@kubernetes/client-node");
  const apps = kc.makeApiClient(AppsV1Api);
  await waitFor(
    async () => {
      const st = (await apps.readNamespacedDaemonSet({ name, namespace: "kube-system" })).status;
      return st && st.desiredNumberScheduled > 0 && st.numberReady === st.desiredNumberScheduled ? true : undefined;
    },
    { description: `DaemonSet kube-system/${name} to run on every node`, timeoutMs: 180_000, intervalMs: 100, ...options(o) },
  );
}

function options(o: Waiting): { clock: Clock; signal?: AbortSignal } {
  return { clock: o.clock ?? systemClock, ...(o.signal ? { signal: o.signal } : {}) };
}
