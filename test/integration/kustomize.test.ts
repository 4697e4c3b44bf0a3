import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ROOT } from "../../harness/common/paths.js";
import { loadDeploymentSpec, parseCpu, parseMemory } from "../../harness/document/deployment-spec.js";
import { documentRulesOf, type NetworkPolicyObject } from "../../harness/platforms/kind/network-policy.js";

// k8s/ rendered with a real kustomize (kubectl's, built by scripts/tools.sh), checked against the document's environments.
const KUBECTL = join(ROOT, ".cache/tools/bin/kubectl");
const spec = loadDeploymentSpec();

interface Container {
  name: string;
  resources?: { limits?: { cpu?: string; memory?: string } };
  livenessProbe?: { httpGet?: { path: string; port: number } };
  readinessProbe?: { httpGet?: { path: string; port: number } };
  env?: Array<{ name: string; value?: string }>;
}
interface Rendered {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: { replicas?: number; template?: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } } };
}

function render(dir: string): Rendered[] {
  const out = execFileSync(KUBECTL, ["kustomize", join(ROOT, "k8s", dir)], { encoding: "utf8" });
  return parseAllDocuments(out).map((d) => d.toJS() as Rendered);
}

describe("k8s manifests rendered with kustomize", () => {
  it("has an overlay for every environment of the document, and only those", () => {
    expect([...spec.environments.keys()].sort()).toEqual(["development", "production", "staging"]);
  });

  for (const [name, env] of spec.environments) {
    it(`${name}: ${env.replicas} replica(s), ${env.cpu.text} CPU and ${env.memory.text} memory, probes on /health and /ready`, () => {
      const docs = render(`environments/${name}`);
      const deployment = docs.find((d) => d.kind === "Deployment")!;
      const service = docs.find((d) => d.kind === "Service")!;
      expect(deployment.spec.replicas).toBe(env.replicas);
      const api = deployment.spec.template!.spec.containers.find((c) => c.name === "api")!;
      expect(parseCpu(String(api.resources!.limits!.cpu))).toBe(env.cpu.value);
      expect(parseMemory(String(api.resources!.limits!.memory))).toBe(env.memory.value);
      expect(api.livenessProbe!.httpGet).toEqual({ path: "/health", port: 8000 });
      expect(api.readinessProbe!.httpGet).toEqual({ path: "/ready", port: 8000 });
      expect(api.env).toContainEqual({ name: "APP_ENVIRONMENT", value: name });
      expect(deployment.metadata.labels).toMatchObject({ app: "agi-eval-sandbox", environment: name });
      expect(deployment.spec.template!.metadata.labels).toMatchObject({ environment: name });
      expect(service.metadata.name).toBe("agi-eval-sandbox");
      // network-policies.yml, through the component every overlay includes; its selector untouched by the overlay's labels.
      const policies = docs.filter((d) => d.kind === "NetworkPolicy");
      expect(policies.map((p) => p.metadata.name)).toEqual(["agi-eval-sandbox"]);
      expect(documentRulesOf(policies[0] as unknown as NetworkPolicyObject)).toEqual(spec.networkPolicies);
      expect((policies[0] as unknown as { spec: { podSelector: unknown } }).spec.podSelector).toEqual({ matchLabels: { app: "agi-eval-sandbox" } });
      expect(api.env).toContainEqual({ name: "METRICS_PORT", value: "9090" });
      // performance-config.yml's autoscaling: production's overlay alone has an autoscaler.
      const hpas = docs.filter((d) => d.kind === "HorizontalPodAutoscaler") as unknown as Array<{ spec: { minReplicas: number; maxReplicas: number; scaleTargetRef: { name: string }; metrics: Array<{ resource: { name: string; target: { averageUtilization: number } } }> } }>;
      if (name !== "production") expect(hpas).toEqual([]);
      else {
        const a = spec.performance.autoscaling;
        expect(hpas.map((h) => [h.spec.minReplicas, h.spec.maxReplicas, h.spec.scaleTargetRef.name])).toEqual([[a.minReplicas, a.maxReplicas, "agi-eval-sandbox"]]);
        expect(hpas[0]!.spec.metrics.map((m) => [m.resource.name, m.resource.target.averageUtilization])).toEqual([
          ["cpu", a.targetCpu],
          ["memory", a.targetMemory],
        ]);
      }
      // Production alone spreads its replicas over nodes and has a disruption budget (the overlay's own: the document names none).
      const budgets = docs.filter((d) => d.kind === "PodDisruptionBudget") as unknown as Array<{ spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }>;
      const spread = (deployment.spec.template!.spec as { topologySpreadConstraints?: Array<{ topologyKey: string; maxSkew: number; whenUnsatisfiable: string }> }).topologySpreadConstraints;
      if (name !== "production") {
        expect(budgets).toEqual([]);
        expect(spread).toBeUndefined();
      } else {
        expect(budgets.map((b) => b.spec)).toEqual([{ minAvailable: 2, selector: { matchLabels: { app: "agi-eval-sandbox" } } }]);
        expect(spread).toMatchObject([{ topologyKey: "kubernetes.io/hostname", maxSkew: 1, whenUnsatisfiable: "ScheduleAnyway" }]);
      }
    });
  }
});
