import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../common/paths.js";
import { loadDeploymentSpec } from "../../document/deployment-spec.js";
import type { V1NetworkPolicy } from "@kubernetes/client-node";
import { documentRulesOf, NETWORK_PEERS, networkPolicyModel, selectsPods, withControlPlane, withDatabaseAddresses, type NetworkPolicyObject } from "./network-policy.js";

const component = join(ROOT, "k8s/components/network-policies");
const policy = parse(readFileSync(join(component, "network-policy.yaml"), "utf8")) as NetworkPolicyObject & { kind: string; spec: { podSelector: unknown; policyTypes: string[] } };

describe("network-policies.yml as a NetworkPolicy (k8s/components/network-policies)", () => {
  it("is the document's rules, peer for peer and port for port", () => {
    const spec = loadDeploymentSpec();
    expect(spec.networkPolicies).toEqual({
      ingress: [
        { peers: ["monitoring-namespace"], ports: [9090] },
        { peers: ["load-balancer"], ports: [8000] },
      ],
      egress: [
        { peers: ["database-namespace"], ports: [5432] },
        { peers: ["external-apis"], ports: [443] },
      ],
    });
    expect(documentRulesOf(policy)).toEqual(spec.networkPolicies);
  });

  it("selects the reference service's pods and restricts both directions, so anything not listed is denied", () => {
    expect(policy.kind).toBe("NetworkPolicy");
    expect(policy.spec.podSelector).toEqual({ matchLabels: { app: "agi-eval-sandbox" } });
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(parse(readFileSync(join(component, "kustomization.yaml"), "utf8"))).toMatchObject({ kind: "Component", resources: ["network-policy.yaml"] });
  });

  it("names a peer it cannot map, so a changed selector does not pass for the document's", () => {
    const changed = structuredClone(policy);
    changed.spec!.ingress![0]!.from = [{ namespaceSelector: { matchLabels: { team: "observability" } } }];
    expect(documentRulesOf(changed).ingress[0]).toEqual({ peers: ["?"], ports: [9090] });
    expect(Object.keys(NETWORK_PEERS).sort()).toEqual(["database-namespace", "external-apis", "load-balancer", "monitoring-namespace"]);
  });

  it("lets the pods reach the run's databases outside the cluster by their addresses alone, on the database rule's ports, and still reads as the document's", () => {
    const applied = withDatabaseAddresses(policy as unknown as V1NetworkPolicy, ["172.18.0.3", "172.18.0.4"]);
    expect(applied.spec!.egress![0]!.to).toEqual([NETWORK_PEERS["database-namespace"], { ipBlock: { cidr: "172.18.0.3/32" } }, { ipBlock: { cidr: "172.18.0.4/32" } }]);
    expect(applied.spec!.egress![0]!.ports).toEqual([{ protocol: "TCP", port: 5432 }]);
    // The other rules are untouched, and applying again adds nothing.
    expect(applied.spec!.egress![1]).toEqual(policy.spec!.egress![1]);
    expect(applied.spec!.ingress).toEqual(policy.spec!.ingress);
    expect(withDatabaseAddresses(applied, ["172.18.0.3"])).toEqual(applied);
    expect(documentRulesOf(applied, ["172.18.0.3", "172.18.0.4"])).toEqual(documentRulesOf(policy));
    // An address that is not the run's database is no peer of the document's.
    expect(documentRulesOf(applied, ["172.18.0.3"]).egress[0]!.peers).toEqual(["database-namespace", "?"]);
  });

  it("selects the pods whose labels include its matchLabels", () => {
    const p = policy as unknown as V1NetworkPolicy;
    expect(selectsPods(p, { app: "agi-eval-sandbox", "deploy-gameday.dev/role": "stable" })).toBe(true);
    expect(selectsPods(p, { app: "router" })).toBe(false);
  });

  it("is applied in the client's model, so the client sends each ingress rule's peers (a rule without them would let every peer in)", () => {
    const model = networkPolicyModel(policy as unknown as V1NetworkPolicy) as NetworkPolicyObject;
    // The client's serializer sends `_from` as `from` and drops a `from` it does not know: what the first run on a cluster showed.
    expect(model.spec!.ingress!.map((r) => r._from)).toEqual(policy.spec!.ingress!.map((r) => r.from));
    expect(model.spec!.ingress!.map((r) => r.from)).toEqual([undefined, undefined]);
    expect(model.spec!.egress).toEqual(policy.spec!.egress);
    expect(documentRulesOf(model)).toEqual(documentRulesOf(policy));
  });

  it("lets the control-plane node in on a cluster with workers (the harness's probes through the API server), a rule the document's comparison leaves out", () => {
    const withIt = networkPolicyModel(withControlPlane(policy as unknown as V1NetworkPolicy, "172.18.0.2"));
    const ingress = withIt.spec!.ingress!;
    expect(ingress).toHaveLength(3);
    expect(ingress[2]).toEqual({ _from: [{ ipBlock: { cidr: "172.18.0.2/32" } }] });
    // The document's two rules keep their peers (in the client's model).
    expect(ingress.slice(0, 2).every((r) => (r._from ?? []).length === 1)).toBe(true);
    expect(documentRulesOf(withIt as NetworkPolicyObject, [], "172.18.0.2")).toEqual(documentRulesOf(policy));
    // Read without knowing the address, the rule shows as a peer the document does not name.
    expect(documentRulesOf(withIt as NetworkPolicyObject).ingress[2]).toEqual({ peers: ["?"], ports: [] });
    expect(withControlPlane(policy as unknown as V1NetworkPolicy, undefined)).toEqual(policy);
  });
});
