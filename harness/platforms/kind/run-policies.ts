import type { KubernetesObject, NetworkingV1Api, V1Deployment, V1NetworkPolicy } from "@kubernetes/client-node";
import type { DeploymentSummary } from "../../model/kubernetes.js";
import type { Sink } from "../../timeline/events.js";
import { documentRulesOf, networkPolicyModel, selectsPods, withControlPlane, withDatabaseAddresses } from "./network-policy.js";

/**
 * A run's NetworkPolicies on kind (network-policies.yml): the overlay's,
 * applied before the first pods, with the addresses of the run's databases
 * outside the cluster added to their database rule (network-policy.ts), and
 * applied again whenever another database comes; read back for the
 * deployment's evidence.
 */
export class RunNetworkPolicies {
  private policies: V1NetworkPolicy[] = [];
  private readonly databaseAddresses = new Set<string>();

  constructor(
    private readonly o: {
      namespace: string;
      networking: NetworkingV1Api;
      apply(obj: KubernetesObject): Promise<void>;
      emit: Sink;
      /** On a cluster with workers: the control-plane node's address, let in for the harness's probes (withControlPlane). */
      controlPlane?: string;
    },
  ) {}

  /** The overlay's policies, the first time a deploy renders some: applied at once, before any pod of it runs. */
  async adopt(policies: readonly V1NetworkPolicy[]): Promise<void> {
    if (policies.length === 0 || this.policies.length > 0) return;
    this.policies = [...policies];
    await this.applyAll();
  }

  /** A database the services will reach: its address joins the policies' database peer. */
  async addDatabase(serviceUrl: string): Promise<void> {
    this.databaseAddresses.add(new URL(serviceUrl).hostname);
    await this.applyAll();
  }

  /** The namespace's NetworkPolicies that select the Deployment's pods, read back, in the document's words. */
  async selecting(live: V1Deployment): Promise<NonNullable<DeploymentSummary["networkPolicy"]>> {
    const labels = live.spec?.template.metadata?.labels ?? {};
    const selecting = (await this.o.networking.listNamespacedNetworkPolicy({ namespace: this.o.namespace })).items.filter((p) => selectsPods(p, labels));
    const rules = selecting.map((p) => documentRulesOf(p, [...this.databaseAddresses], this.o.controlPlane));
    return {
      policies: selecting.map((p) => p.metadata!.name!),
      ingress: rules.flatMap((r) => r.ingress.map((x) => ({ peers: [...x.peers], ports: [...x.ports] }))),
      egress: rules.flatMap((r) => r.egress.map((x) => ({ peers: [...x.peers], ports: [...x.ports] }))),
    };
  }

  private async applyAll(): Promise<void> {
    if (this.policies.length === 0) return;
    const addresses = [...this.databaseAddresses];
    for (const p of this.policies) await this.o.apply(networkPolicyModel(withControlPlane(withDatabaseAddresses(p, addresses), this.o.controlPlane)));
    this.o.emit({ type: "kubernetes.network-policy", namespace: this.o.namespace, policies: this.policies.map((p) => p.metadata!.name!), databaseAddresses: addresses });
  }
}
