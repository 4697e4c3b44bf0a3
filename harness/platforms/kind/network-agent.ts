import { AppsV1Api, CoreV1Api, type KubeConfig, type V1ClusterRole, type V1ClusterRoleBinding, type V1DaemonSet, type V1ServiceAccount } from "@kubernetes/client-node";
import { waitFor, type Clock } from "../../common/clock.js";
import { exec } from "../../common/exec.js";
import { docker } from "../../engine/docker.js";
import { applyAsAdmin } from "./admin-apply.js";

/**
 * kube-network-policies (kind's own NetworkPolicy agent, built from its Go
 * module at a pinned version by scripts/tools.sh) as its upstream
 * install.yaml runs it: a DaemonSet in kube-system on the host's network,
 * privileged, that queues the first packet of every connection to or from a
 * pod some policy selects (nftables and NFQUEUE) and accepts or drops it by
 * the policies; read access to pods, namespaces and NetworkPolicies. NRI is
 * off: the node image's containerd does not serve it, and the agent then
 * learns pod addresses from the API server. Upstream's --v=2 is left out:
 * it logs every packet it judges. With it, two of three security-bench runs
 * at 500 req/s through the router failed most requests with the policies
 * enforced; without it, neither of two did (that load saturates a 2-core
 * machine either way, so the figures are noisy).
 *
 * It talks to the API server on the control-plane node itself, not through
 * the `kubernetes` Service: that ClusterIP works only once kube-proxy has
 * programmed it, and client-go's backoff then held the agent's first sync
 * about 20 s after its pod ran (on a new cluster: its nftables table at
 * 40.5 s instead of 20.3 s). The node's name is in the API server's
 * certificate, and every node resolves it on kind's Docker network.
 */
export const NETWORK_AGENT = "kube-network-policies";
export const NETWORK_AGENT_VERSION = "v0.8.0";

/** The NFQUEUE the agent judges packets from (upstream's install.yaml: 98). */
export const NETWORK_AGENT_QUEUE = 98;

/** The port kubeadm's API server listens on inside a kind control-plane node. */
const API_SERVER_PORT = 6443;

export function networkAgentObjects(imageRef: string, imageId = "", apiServer?: { host: string; port: number }): { account: V1ServiceAccount; role: V1ClusterRole; binding: V1ClusterRoleBinding; daemonSet: V1DaemonSet } {
  const metadata = { name: NETWORK_AGENT, namespace: "kube-system", labels: { app: NETWORK_AGENT } };
  const cluster = { name: NETWORK_AGENT, labels: { app: NETWORK_AGENT } };
  return {
    account: { apiVersion: "v1", kind: "ServiceAccount", metadata },
    role: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: cluster,
      rules: [
        { apiGroups: [""], resources: ["pods", "namespaces"], verbs: ["list", "watch"] },
        { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["list", "watch"] },
      ],
    },
    binding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: cluster,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: NETWORK_AGENT },
      subjects: [{ kind: "ServiceAccount", name: NETWORK_AGENT, namespace: "kube-system" }],
    },
    daemonSet: {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata,
      spec: {
        selector: { matchLabels: { app: NETWORK_AGENT } },
        template: {
          // The image's id: a rebuilt image under the same tag rolls the agent.
          metadata: { labels: { app: NETWORK_AGENT }, ...(imageId ? { annotations: { "deploy-gameday.dev/image-id": imageId } } : {}) },
          spec: {
            hostNetwork: true,
            serviceAccountName: NETWORK_AGENT,
            tolerations: [{ operator: "Exists", effect: "NoSchedule" }],
            containers: [
              {
                name: NETWORK_AGENT,
                image: imageRef,
                imagePullPolicy: "Never",
                command: ["/bin/netpol"],
                args: ["--hostname-override=$(MY_NODE_NAME)", "--disable-nri", `--nfqueue-id=${NETWORK_AGENT_QUEUE}`],
                env: [
                  { name: "MY_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                  ...(apiServer
                    ? [
                        { name: "KUBERNETES_SERVICE_HOST", value: apiServer.host },
                        { name: "KUBERNETES_SERVICE_PORT", value: String(apiServer.port) },
                      ]
                    : []),
                ],
                securityContext: { privileged: true, capabilities: { add: ["NET_ADMIN"] } },
                resources: { requests: { cpu: "100m", memory: "50Mi" } },
              },
            ],
          },
        },
      },
    },
  };
}

/**
 * The agent running in the cluster, from `imageRef` (already loaded into the
 * node): its objects applied server-side with the admin credentials
 * (cluster-scoped, shared by every run of the cluster; applying them again is
 * a no-op), then waited for until every node runs the current pod template,
 * ready, and its nftables table on each node (`nodes`: their containers,
 * the control plane first, whose API server the agent talks to).
 * Returns the wall ms it took.
 */
export async function installNetworkAgent(o: { admin: KubeConfig; imageRef: string; nodes: readonly string[]; clock: Clock; signal?: AbortSignal }): Promise<number> {
  const started = o.clock.now();
  const objects = networkAgentObjects(o.imageRef, (await docker().getImage(o.imageRef).inspect()).Id, { host: o.nodes[0]!, port: API_SERVER_PORT });
  await applyAsAdmin(o.admin, [objects.account, objects.role, objects.binding, objects.daemonSet], `the network policy agent ${NETWORK_AGENT}`);
  const apps = o.admin.makeApiClient(AppsV1Api);
  await waitFor(
    async () => {
      const ds = await apps.readNamespacedDaemonSet({ name: NETWORK_AGENT, namespace: "kube-system" });
      const st = ds.status;
      const current = (st?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 1);
      if (!(current && st && st.desiredNumberScheduled > 0 && st.numberReady === st.desiredNumberScheduled && (st.updatedNumberScheduled ?? 0) === st.desiredNumberScheduled)) return undefined;
      // Running is not enforcing: its controller has synced once its nftables table is on the node.
      for (const node of o.nodes) await exec("docker", ["exec", node, "nft", "list", "table", "inet", NETWORK_AGENT]);
      return true;
    },
    {
      description: `the network policy agent (DaemonSet kube-system/${NETWORK_AGENT}) to run on every node, its nftables table in place`,
      timeoutMs: 180_000,
      intervalMs: 200,
      clock: o.clock,
      ...(o.signal ? { signal: o.signal } : {}),
      hint: `kubectl -n kube-system logs ds/${NETWORK_AGENT} shows why (the node must be Ready, and nftables and NFQUEUE there)`,
    },
  );
  return o.clock.now() - started;
}

/** The agent gone (the security bench's "not enforced"): its DaemonSet deleted and waited for until no pod of it is left; it removes its nftables rules as it stops. */
export async function removeNetworkAgent(o: { admin: KubeConfig; clock: Clock; signal?: AbortSignal }): Promise<void> {
  const apps = o.admin.makeApiClient(AppsV1Api);
  const core = o.admin.makeApiClient(CoreV1Api);
  await apps.deleteNamespacedDaemonSet({ name: NETWORK_AGENT, namespace: "kube-system", propagationPolicy: "Foreground" }).catch(() => undefined);
  await waitFor(async () => ((await core.listNamespacedPod({ namespace: "kube-system", labelSelector: `app=${NETWORK_AGENT}` })).items.length === 0 ? true : undefined), {
    description: `the pods of ${NETWORK_AGENT} to be gone`,
    timeoutMs: 120_000,
    intervalMs: 200,
    clock: o.clock,
    ...(o.signal ? { signal: o.signal } : {}),
  });
}
