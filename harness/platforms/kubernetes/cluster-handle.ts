import type { KubeConfig } from "@kubernetes/client-node";

/** Makes the harness's local images pullable in a cluster. */
export interface ImageDelivery {
  /** Each local image ref to the ref the cluster's pods name it by (the same ref when loaded into the nodes; a registry's, by digest, when pushed). */
  deliver(refs: readonly string[], log: (line: string) => void, signal?: AbortSignal): Promise<ReadonlyMap<string, string>>;
}

/**
 * What a run needs of a Kubernetes cluster, whoever made it: its API (the
 * admin credentials the run's namespaces are made with) and a way to get
 * images to its nodes. A kind cluster the harness made is one; a cluster it
 * was pointed at with --kubeconfig is another (external-cluster.ts).
 */
export interface ClusterHandle extends ImageDelivery {
  /** For messages: the kind cluster's name, or the kubeconfig context's. */
  readonly name: string;
  readonly kubeConfig: KubeConfig;
  /** Where another process finds the cluster (the watchdog that deletes a killed run's namespaces); absent for a cluster the harness deletes itself. */
  readonly source?: { readonly kubeconfig: string; readonly context: string };
}
