import type { V1NetworkPolicyPeer } from "@kubernetes/client-node";
import type { NetworkPoliciesSpec } from "../../document/deployment-types.js";

/**
 * The document's network-policies.yml names its peers; in a cluster each
 * name is a selector. These are the selectors k8s/components/network-policies
 * uses, and what the harness labels its own parts with.
 */
export const TIER_LABEL = "deploy-gameday.dev/tier";
export const COMPONENT_LABEL = "app.kubernetes.io/component";
/** Addresses no external API has: what "external-apis" leaves out. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

export const NETWORK_PEERS: Readonly<Record<string, V1NetworkPolicyPeer>> = {
  "monitoring-namespace": { namespaceSelector: { matchLabels: { [TIER_LABEL]: "monitoring" } } },
  "load-balancer": { podSelector: { matchLabels: { [COMPONENT_LABEL]: "load-balancer" } } },
  "database-namespace": { namespaceSelector: { matchLabels: { [TIER_LABEL]: "database" } } },
  "external-apis": { ipBlock: { cidr: "0.0.0.0/0", except: [...PRIVATE_RANGES] } },
};

type Ports = ReadonlyArray<{ protocol?: string; port?: number | string }>;
/** A NetworkPolicy as its YAML (or the API's JSON) has it. */
export interface NetworkPolicyObject {
  spec?: { ingress?: Array<{ from?: V1NetworkPolicyPeer[]; ports?: Ports }>; egress?: Array<{ to?: V1NetworkPolicyPeer[]; ports?: Ports }> };
}

/** A NetworkPolicy's rules as the document would write them: each rule's peer names (by NETWORK_PEERS) and TCP ports; a peer no name fits is "?". */
export function documentRulesOf(policy: NetworkPolicyObject): NetworkPoliciesSpec {
  const name = (peer: V1NetworkPolicyPeer) => Object.entries(NETWORK_PEERS).find(([, p]) => JSON.stringify(p) === JSON.stringify(peer))?.[0] ?? "?";
  const ports = (list: Ports | undefined) => (list ?? []).filter((p) => (p.protocol ?? "TCP") === "TCP").map((p) => Number(p.port));
  return {
    ingress: (policy.spec?.ingress ?? []).map((r) => ({ peers: (r.from ?? []).map(name), ports: ports(r.ports) })),
    egress: (policy.spec?.egress ?? []).map((r) => ({ peers: (r.to ?? []).map(name), ports: ports(r.ports) })),
  };
}
