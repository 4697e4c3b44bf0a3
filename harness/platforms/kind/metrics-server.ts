import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AppsV1Api, CustomObjectsApi, DiscoveryV1Api, type KubeConfig, type KubernetesObject, type V1Deployment } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { waitFor, type Clock } from "../../common/clock.js";
import { HarnessError } from "../../common/errors.js";
import { ROOT } from "../../common/paths.js";
import { docker } from "../../engine/docker.js";
import { applyAsAdmin } from "./admin-apply.js";

/**
 * metrics-server (k8s/cluster/metrics-server.yaml) as the harness runs it:
 * from the locally built image (the Go module at v0.8.0, its binary alone),
 * in kube-system, serving metrics.k8s.io to the HorizontalPodAutoscalers.
 */
export const METRICS_SERVER = "metrics-server";
const MANIFEST = join(ROOT, "k8s/cluster/metrics-server.yaml");

/** The manifest's objects, its Deployment running `imageRef` (and rolled when that image is rebuilt under the same tag: its id annotates the pods). */
export function metricsServerObjects(imageRef: string, imageId = ""): KubernetesObject[] {
  const objects = parseAllDocuments(readFileSync(MANIFEST, "utf8")).map((d) => d.toJS() as KubernetesObject);
  const deployment = objects.find((o): o is V1Deployment => o.kind === "Deployment")!;
  const template = deployment.spec!.template;
  template.spec!.containers[0]!.image = imageRef;
  if (imageId) template.metadata = { ...template.metadata, annotations: { ...(template.metadata?.annotations ?? {}), "deploy-gameday.dev/image-id": imageId } };
  return objects;
}

/**
 * metrics-server running and answering: its objects applied with the admin
 * credentials, its Deployment ready, and the API server serving node metrics
 * from it (its first scrape of the kubelets comes up to a metric resolution
 * later). Cluster-wide: left for the cluster's later runs. Returns wall ms.
 */
export async function installMetricsServer(o: { admin: KubeConfig; imageRef: string; clock: Clock; signal?: AbortSignal }): Promise<number> {
  const started = o.clock.now();
  const objects = metricsServerObjects(o.imageRef, (await docker().getImage(o.imageRef).inspect()).Id);
  // The APIService last, once the Service has a ready endpoint: the API server keeps the first connection it opens to
  // the Service's address, and one opened before kube-proxy routes that address goes elsewhere for good (on these
  // machines something outside answers any address on 443, with 404s).
  await applyAsAdmin(o.admin, objects.filter((x) => x.kind !== "APIService"), METRICS_SERVER);
  const apps = o.admin.makeApiClient(AppsV1Api);
  const custom = o.admin.makeApiClient(CustomObjectsApi);
  const wait = { clock: o.clock, intervalMs: 250, ...(o.signal ? { signal: o.signal } : {}) };
  await waitFor(
    async () => {
      const d = await apps.readNamespacedDeployment({ name: METRICS_SERVER, namespace: "kube-system" });
      const current = (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1);
      return current && (d.status?.updatedReplicas ?? 0) >= 1 && (d.status?.availableReplicas ?? 0) >= 1 && (d.status?.replicas ?? 0) === (d.status?.updatedReplicas ?? 0) ? true : undefined;
    },
    { ...wait, description: `${METRICS_SERVER} (Deployment kube-system/${METRICS_SERVER}) to be available`, timeoutMs: 180_000, hint: `kubectl -n kube-system logs deploy/${METRICS_SERVER} shows why` },
  );
  const discovery = o.admin.makeApiClient(DiscoveryV1Api);
  await waitFor(
    async () => {
      const slices = await discovery.listNamespacedEndpointSlice({ namespace: "kube-system", labelSelector: `kubernetes.io/service-name=${METRICS_SERVER}` });
      return slices.items.some((sl) => (sl.endpoints ?? []).some((e) => e.conditions?.ready === true)) ? true : undefined;
    },
    { ...wait, description: `the Service kube-system/${METRICS_SERVER} to have a ready endpoint`, timeoutMs: 60_000 },
  );
  await applyAsAdmin(o.admin, objects.filter((x) => x.kind === "APIService"), METRICS_SERVER);
  await waitFor(
    async () => {
      const nodes = (await custom.listClusterCustomObject({ group: "metrics.k8s.io", version: "v1beta1", plural: "nodes" })) as { items?: unknown[] };
      return (nodes.items?.length ?? 0) > 0 ? true : undefined;
    },
    { ...wait, description: "the API server to serve node metrics from metrics-server (metrics.k8s.io)", timeoutMs: 120_000, hint: `kubectl get apiservice v1beta1.metrics.k8s.io and kubectl -n kube-system logs deploy/${METRICS_SERVER} show why` },
  );
  return o.clock.now() - started;
}

/** On a cluster the harness did not make: an autoscaler needs the metrics API, which the harness does not install there. */
export async function requireMetricsApi(kc: KubeConfig, name: string): Promise<void> {
  const { ApiregistrationV1Api } = await import("@kubernetes/client-node");
  const service = await kc
    .makeApiClient(ApiregistrationV1Api)
    .readAPIService({ name: "v1beta1.metrics.k8s.io" })
    .catch(() => undefined);
  const available = service?.status?.conditions?.some((c) => c.type === "Available" && c.status === "True");
  if (!available) {
    throw new HarnessError("CLUSTER_FAILED", `cluster ${name} serves no metrics API (v1beta1.metrics.k8s.io${service ? " is not Available" : " is not registered"}), which the autoscaler reads`, {
      hint: "install metrics-server in the cluster (the harness installs it only in kind clusters of its own), or run the scenario with --platform kind",
    });
  }
}
