import type { KubeConfig, V1Node } from "@kubernetes/client-node";
import { waitFor, type Clock } from "../../common/clock.js";
import { HarnessError } from "../../common/errors.js";
import { exec } from "../../common/exec.js";

/**
 * The pod network of a kind cluster with workers. The node image carries a
 * single-node CNI configuration (ptp + host-local on 10.244.0.0/24, with
 * masquerade; fixtures/images/kind-node/10-gameday.conflist): on several
 * nodes every node would hand out the same addresses, and no node would know
 * where the others' pods are. What kind's kindnetd does, done once by the
 * harness after `kind create`, through each node's shell:
 *  - each node's CNI configuration takes the node's own pod range (the
 *    node's spec.podCIDR, allocated by the controller manager);
 *  - each node routes every other node's pod range to that node's address on
 *    the Docker network;
 *  - traffic from pods is masqueraded only when it leaves the cluster's pod
 *    range: between pods the source address stays the pod's, so that a
 *    NetworkPolicy judges pod-to-pod traffic across nodes by its real source;
 *  - pods that started on the image's configuration before (CoreDNS) are
 *    deleted, and their Deployments make them again on the right range.
 * Applying it again (after a node came back with a new address) changes only
 * what is out of date.
 */

/** kind's default pod subnet (kubeadm's podSubnet): the range masquerade leaves alone. */
export const CLUSTER_POD_RANGE = "10.244.0.0/16";
/** The CNI configuration file the node image's own is replaced by (same name: the kubelet reads the first file). */
export const CONFLIST_PATH = "/etc/cni/net.d/10-gameday.conflist";
const MASQ_COMMENT = "deploy-gameday pod masquerade";

/** A node as the pod network needs it. */
export interface PodNetworkNode {
  /** The node's name, which is its container's on kind. */
  readonly name: string;
  readonly podCIDR: string;
  /** Its address on the Docker network (the InternalIP). */
  readonly address: string;
}

/** The CNI configuration of one node: its own pod range, no masquerade by the plugin (the node's rule does it). */
export function podNetworkConflist(podCIDR: string): string {
  return `${JSON.stringify(
    {
      cniVersion: "0.4.0",
      name: "gameday",
      plugins: [
        { type: "ptp", ipMasq: false, ipam: { type: "host-local", ranges: [[{ subnet: podCIDR }]], routes: [{ dst: "0.0.0.0/0" }] }, mtu: 1500 },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/**
 * The shell script that sets one node up: its CNI configuration, its routes
 * to the others' pods, and its masquerade rule; idempotent.
 */
export function podNetworkScript(node: PodNetworkNode, all: readonly PodNetworkNode[]): string {
  const masq = `POSTROUTING -s ${node.podCIDR} ! -d ${CLUSTER_POD_RANGE} -m comment --comment "${MASQ_COMMENT}" -j MASQUERADE`;
  const lines = [
    "set -e",
    `cat > ${CONFLIST_PATH}.tmp <<'EOF'\n${podNetworkConflist(node.podCIDR)}EOF`,
    `mv ${CONFLIST_PATH}.tmp ${CONFLIST_PATH}`,
    ...all.filter((n) => n.name !== node.name).map((n) => `ip route replace ${n.podCIDR} via ${n.address}`),
    `iptables -t nat -C ${masq} 2>/dev/null || iptables -t nat -A ${masq}`,
  ];
  return lines.join("\n");
}

/** The pod network's view of the cluster's nodes: every node with its pod range and address, or undefined while one lacks them. */
export function podNetworkNodes(nodes: readonly V1Node[]): PodNetworkNode[] | undefined {
  const out: PodNetworkNode[] = [];
  for (const n of nodes) {
    const name = n.metadata?.name;
    const podCIDR = n.spec?.podCIDR;
    const address = n.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
    if (!name || !podCIDR || !address) return undefined;
    out.push({ name, podCIDR, address });
  }
  return out;
}

/**
 * Set up the pod network of a cluster of `expected` nodes (see the top of
 * this file): waits until every node is registered with a pod range, then
 * sets each up through `docker exec`. Returns the nodes as set up.
 */
export async function setUpPodNetwork(options: {
  admin: KubeConfig;
  expected: number;
  /** The first set-up of a new cluster: the pods already running got their addresses from the image's configuration. */
  first: boolean;
  clock: Clock;
  signal?: AbortSignal;
  log: (line: string) => void;
}): Promise<PodNetworkNode[]> {
  const { CoreV1Api } = await import("@kubernetes/client-node");
  const core = options.admin.makeApiClient(CoreV1Api);
  const nodes = await waitFor(
    async () => {
      const list = await core.listNode();
      return list.items.length >= options.expected ? podNetworkNodes(list.items) : undefined;
    },
    {
      description: `the ${options.expected} nodes of the cluster to register with a pod range`,
      timeoutMs: 120_000,
      intervalMs: 200,
      clock: options.clock,
      ...(options.signal ? { signal: options.signal } : {}),
      hint: "`docker exec <node> journalctl -u kubelet` on a node that is missing shows why",
    },
  );
  await Promise.all(
    nodes.map((node) =>
      exec("docker", ["exec", node.name, "sh", "-c", podNetworkScript(node, nodes)], { timeoutMs: 30_000 }).catch((e: unknown) => {
        throw new HarnessError("CLUSTER_FAILED", `could not set up the pod network on node ${node.name}`, { cause: e, hint: `docker exec ${node.name} ip route; the node needs iproute2 and iptables (the node image has both)` });
      }),
    ),
  );
  // On a new cluster, pods that started before got their address from the image's configuration (the same range on
  // every node, masqueraded by the plugin): their controllers make them again on their node's own range. A node
  // that comes back later keeps its file, so its pods come back on the right range.
  const wrong = options.first ? (await core.listNamespacedPod({ namespace: "kube-system" })).items.filter((p) => !p.spec?.hostNetwork) : [];
  for (const p of wrong) await core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: "kube-system", gracePeriodSeconds: 0 }).catch(() => undefined);
  options.log(`pod network on ${nodes.length} nodes: ${nodes.map((n) => `${n.name} ${n.podCIDR} via ${n.address}`).join(", ")}${wrong.length ? `; ${wrong.length} kube-system pod(s) made again on their node's range` : ""}`);
  return nodes;
}
