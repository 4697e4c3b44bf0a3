import type { V1ClusterRole, V1ClusterRoleBinding, V1DaemonSet, V1ServiceAccount } from "@kubernetes/client-node";

/**
 * kube-network-policies (kind's own NetworkPolicy agent, built from its Go
 * module at a pinned version by scripts/tools.sh) as its upstream
 * install.yaml runs it: a DaemonSet in kube-system on the host's network,
 * privileged, that queues the first packet of every connection to or from a
 * pod some policy selects (nftables and NFQUEUE) and accepts or drops it by
 * the policies; read access to pods, namespaces and NetworkPolicies. NRI is
 * off: the node image's containerd does not serve it, and the agent then
 * learns pod addresses from the API server.
 */
export const NETWORK_AGENT = "kube-network-policies";
export const NETWORK_AGENT_VERSION = "v0.8.0";

export function networkAgentObjects(imageRef: string): { account: V1ServiceAccount; role: V1ClusterRole; binding: V1ClusterRoleBinding; daemonSet: V1DaemonSet } {
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
          metadata: { labels: { app: NETWORK_AGENT } },
          spec: {
            hostNetwork: true,
            serviceAccountName: NETWORK_AGENT,
            tolerations: [{ operator: "Exists", effect: "NoSchedule" }],
            containers: [
              {
                name: NETWORK_AGENT,
                image: imageRef,
                imagePullPolicy: "Never",
                args: ["--hostname-override=$(MY_NODE_NAME)", "--disable-nri", "--nfqueue-id=98", "--v=2"],
                env: [{ name: "MY_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
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
