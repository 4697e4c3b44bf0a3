import type { KubeConfig } from "@kubernetes/client-node";
import { systemClock, waitFor } from "../common/clock.js";

/**
 * The start-up benches time a cluster to the point where it runs pods: every
 * node Ready and kube-system's DaemonSets (kube-proxy, and any the harness
 * adds) running on every node. A node turns Ready seconds before the
 * controller manager has started the controllers that make any pod (it
 * starts them one by one, several seconds on 2 cores), so node Ready alone
 * would compare a cluster that runs nothing yet with one that does.
 */
export async function daemonSetReady(kc: KubeConfig, name: string, signal: AbortSignal): Promise<void> {
  const { AppsV1Api } = await import("@kubernetes/client-node");
  const apps = kc.makeApiClient(AppsV1Api);
  await waitFor(
    async () => {
      const ds = await apps.readNamespacedDaemonSet({ name, namespace: "kube-system" }).catch(() => undefined);
      const st = ds?.status;
      return st && st.desiredNumberScheduled > 0 && st.numberReady === st.desiredNumberScheduled ? true : undefined;
    },
    { description: `DaemonSet kube-system/${name} to run on every node`, timeoutMs: 180_000, intervalMs: 100, clock: systemClock, signal },
  );
}

/** `count` nodes registered, every one Ready. */
export async function nodesReady(kc: KubeConfig, count: number, signal: AbortSignal): Promise<void> {
  const { CoreV1Api } = await import("@kubernetes/client-node");
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(
    async () => {
      const nodes = (await core.listNode().catch(() => undefined))?.items ?? [];
      return nodes.length === count && nodes.every((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) ? true : undefined;
    },
    { description: `the ${count} node(s) to be Ready`, timeoutMs: 180_000, intervalMs: 100, clock: systemClock, signal },
  );
}
