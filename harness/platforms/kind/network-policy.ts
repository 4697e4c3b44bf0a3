import type { V1NetworkPolicy, V1NetworkPolicyPeer } from "@kubernetes/client-node";
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
/**
 * A NetworkPolicy as its YAML (or the API's JSON) has it, or as the
 * Kubernetes client's model has it: an ingress rule's `from` is `_from`
 * there (`from` is a reserved word of the generator's).
 */
export interface NetworkPolicyObject {
  spec?: { ingress?: Array<{ from?: V1NetworkPolicyPeer[]; _from?: V1NetworkPolicyPeer[]; ports?: Ports }>; egress?: Array<{ to?: V1NetworkPolicyPeer[]; ports?: Ports }> };
}

/**
 * The client's model of a NetworkPolicy written as YAML: each ingress rule's
 * `from` under `_from`, the name the client serializes back to `from`. Applied
 * as YAML has it, the client would drop `from`, and a rule meant for some
 * peers would let every peer in.
 */
export function networkPolicyModel(policy: V1NetworkPolicy): V1NetworkPolicy {
  const out = structuredClone(policy);
  for (const rule of (out.spec?.ingress ?? []) as Array<{ from?: V1NetworkPolicyPeer[]; _from?: V1NetworkPolicyPeer[] }>) {
    if (rule.from !== undefined) {
      rule._from = rule.from;
      delete rule.from;
    }
  }
  return out;
}

/** The peer a database outside the cluster is (kind: PostgreSQL, or its fault proxy, on the node's Docker network): its address alone. */
export function databaseAddressPeer(address: string): V1NetworkPolicyPeer {
  return { ipBlock: { cidr: `${address}/32` } };
}

/**
 * A NetworkPolicy's rules as the document would write them: each rule's peer
 * names (by NETWORK_PEERS) and TCP ports; a peer no name fits is "?". The
 * addresses of the run's databases outside the cluster count as the
 * database namespace (withDatabaseAddresses); the rule the harness adds for
 * its probes through the API server (withControlPlane) is not the document's
 * and is left out.
 */
export function documentRulesOf(policy: NetworkPolicyObject, databaseAddresses: readonly string[] = [], controlPlane?: string): NetworkPoliciesSpec {
  const known: Array<[string, V1NetworkPolicyPeer]> = [...Object.entries(NETWORK_PEERS), ...databaseAddresses.map((a): [string, V1NetworkPolicyPeer] => ["database-namespace", databaseAddressPeer(a)])];
  const name = (peer: V1NetworkPolicyPeer) => known.find(([, p]) => JSON.stringify(p) === JSON.stringify(peer))?.[0] ?? "?";
  const names = (list: V1NetworkPolicyPeer[] | undefined) => [...new Set((list ?? []).map(name))];
  const ports = (list: Ports | undefined) => (list ?? []).filter((p) => (p.protocol ?? "TCP") === "TCP").map((p) => Number(p.port));
  const harness = controlPlane ? JSON.stringify([controlPlanePeer(controlPlane)]) : undefined;
  return {
    ingress: (policy.spec?.ingress ?? []).filter((r) => JSON.stringify(r.from ?? r._from) !== harness).map((r) => ({ peers: names(r.from ?? r._from), ports: ports(r.ports) })),
    egress: (policy.spec?.egress ?? []).map((r) => ({ peers: names(r.to), ports: ports(r.ports) })),
  };
}

/**
 * The policy as the run applies it: where a rule lets the pods reach the
 * database namespace, it also lets them reach the run's databases that are
 * not pods (kind runs PostgreSQL beside the node, on its Docker network), by
 * their addresses alone and on the rule's ports. Nothing else changes.
 */
export function withDatabaseAddresses(policy: V1NetworkPolicy, addresses: readonly string[]): V1NetworkPolicy {
  const database = JSON.stringify(NETWORK_PEERS["database-namespace"]);
  const out = structuredClone(policy);
  for (const rule of out.spec?.egress ?? []) {
    if (!(rule.to ?? []).some((p) => JSON.stringify(p) === database)) continue;
    for (const a of addresses) if (!rule.to!.some((p) => p.ipBlock?.cidr === `${a}/32`)) rule.to!.push(databaseAddressPeer(a));
  }
  return out;
}

/** The control-plane node's address alone. */
function controlPlanePeer(address: string): V1NetworkPolicyPeer {
  return { ipBlock: { cidr: `${address}/32` } };
}

/**
 * The policy as a run on a cluster with workers applies it: one more ingress
 * rule lets the control-plane node in. The harness probes the pods (/health,
 * /ready, its fault knobs) through the API server's pod proxy, which
 * connects from the control-plane node; on one node that is the pod's own
 * node, whose traffic NetworkPolicies never judge, but a pod on a worker
 * would drop it. The deployment expectation leaves the rule out
 * (documentRulesOf); the connectivity checks, made from pods, never match it.
 */
export function withControlPlane(policy: V1NetworkPolicy, address: string | undefined): V1NetworkPolicy {
  const out = structuredClone(policy);
  if (!address || !(out.spec?.policyTypes ?? ["Ingress"]).includes("Ingress")) return out;
  // In the client's model (`_from`), which networkPolicyModel leaves as it is.
  out.spec!.ingress = [...(out.spec!.ingress ?? []), { _from: [controlPlanePeer(address)] }];
  return out;
}

/** Whether a policy's pod selector (matchLabels alone, as the overlay writes it) picks pods with these labels. */
export function selectsPods(policy: V1NetworkPolicy, labels: Readonly<Record<string, string>>): boolean {
  const selector = policy.spec?.podSelector;
  if (selector?.matchExpressions?.length) return false;
  return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}
