import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../common/paths.js";
import { loadDeploymentSpec } from "../../document/deployment-spec.js";
import { documentRulesOf, NETWORK_PEERS, type NetworkPolicyObject } from "./network-policy.js";

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
});
