import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CoreV1Api, DiscoveryV1Api, V1PodDisruptionBudget, V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import { errorMessage } from "../../common/errors.js";
import type { AutoscalerStatus, BudgetStatus, PodsObservation } from "../../model/kubernetes.js";
import { K8S_LABEL } from "./manifests.js";
import type { SecretAtRest } from "../platform.js";
import { readEtcd } from "./etcd.js";

/** What the API server says about a run's namespace: its pods and endpoints (evidence), its logs and events (for people). */

/** An autoscaler's status in the document's terms: its bounds, the replicas it has and wants, and the pods' average use against its targets. */
export function autoscalerStatus(hpa: V2HorizontalPodAutoscaler): AutoscalerStatus {
  const current = (name: string) => hpa.status?.currentMetrics?.find((m) => m.type === "Resource" && m.resource?.name === name)?.resource?.current.averageUtilization;
  const target = (name: string) => hpa.spec?.metrics?.find((m) => m.type === "Resource" && m.resource?.name === name)?.resource?.target.averageUtilization;
  const figures = { cpu: current("cpu"), memory: current("memory"), cpuTarget: target("cpu"), memoryTarget: target("memory") };
  return {
    min: hpa.spec?.minReplicas ?? 1,
    max: hpa.spec?.maxReplicas ?? 1,
    current: hpa.status?.currentReplicas ?? 0,
    desired: hpa.status?.desiredReplicas ?? 0,
    ...Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined)),
  };
}

/** An autoscaler's bounds and targets alone, as applied (the deployment expectation compares them with performance-config.yml). */
export function autoscalerBounds(hpa: V2HorizontalPodAutoscaler): { min: number; max: number; cpuTarget?: number; memoryTarget?: number } {
  const { min, max, cpuTarget, memoryTarget } = autoscalerStatus(hpa);
  return { min, max, ...(cpuTarget !== undefined ? { cpuTarget } : {}), ...(memoryTarget !== undefined ? { memoryTarget } : {}) };
}

/** A PodDisruptionBudget's status: what it asks (minAvailable), how many of its pods are healthy and must be, and the disruptions it allows now. */
export function budgetStatus(pdb: V1PodDisruptionBudget): BudgetStatus {
  return {
    minAvailable: pdb.spec?.minAvailable ?? 0,
    healthy: pdb.status?.currentHealthy ?? 0,
    desiredHealthy: pdb.status?.desiredHealthy ?? 0,
    allowed: pdb.status?.disruptionsAllowed ?? 0,
  };
}

/**
 * Pods (with their node) and ready Service endpoints per role (role to its
 * Deployment and Service name), as the API server has them now; with the
 * role's autoscaler where `autoscalers` has one aimed at its Deployment, and
 * its disruption budget where `budgets` has one of its name.
 */
export async function observePods(
  core: CoreV1Api,
  discovery: DiscoveryV1Api,
  namespace: string,
  deployments: ReadonlyMap<string, string>,
  related: { autoscalers?: readonly V2HorizontalPodAutoscaler[]; budgets?: readonly V1PodDisruptionBudget[] } = {},
): Promise<PodsObservation[]> {
  const autoscalers = related.autoscalers ?? [];
  const pods = await core.listNamespacedPod({ namespace: namespace, labelSelector: K8S_LABEL.role });
  const slices = await discovery.listNamespacedEndpointSlice({ namespace: namespace });
  const out: PodsObservation[] = [];
  for (const [role, deployment] of deployments) {
    const mine = pods.items.filter((p) => p.metadata?.labels?.[K8S_LABEL.role] === role && !p.metadata?.deletionTimestamp);
    const endpoints = slices.items
      .filter((s) => s.metadata?.labels?.["kubernetes.io/service-name"] === deployment)
      .flatMap((s) => s.endpoints ?? [])
      .filter((e) => e.conditions?.ready === true).length;
    const hpa = autoscalers.find((h) => h.spec?.scaleTargetRef.name === deployment);
    const pdb = related.budgets?.find((b) => b.metadata?.name === deployment);
    out.push({
      role,
      endpoints,
      ...(hpa ? { autoscaler: autoscalerStatus(hpa) } : {}),
      ...(pdb ? { budget: budgetStatus(pdb) } : {}),
      pods: mine
        .map((p) => {
          const lastTerminated = (p.status?.containerStatuses ?? []).map((c) => c.lastState?.terminated?.reason).find((r) => r !== undefined);
          const waiting = (p.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason).find((r) => r !== undefined);
          return {
            name: p.metadata!.name!,
            version: p.metadata?.labels?.[K8S_LABEL.version] ?? "",
            phase: p.status?.phase ?? "Unknown",
            ready: p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
            restarts: (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0),
            ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}),
            ...(lastTerminated ? { lastTerminated } : {}),
            ...(waiting ? { waiting } : {}),
          };
        })
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    });
  }
  return out;
}

/** Every pod's log (and its previous container's, after a restart) and the namespace's events, into the run's logs/. */
export async function saveNamespaceLogs(core: CoreV1Api, namespace: string, logDir: string, eventsFile = "kubernetes-events.log"): Promise<void> {
  const pods = await core.listNamespacedPod({ namespace: namespace });
  for (const p of pods.items) {
    const name = p.metadata!.name!;
    for (const c of p.spec?.containers ?? []) {
      const file = join(logDir, `${name}${p.spec!.containers.length > 1 ? `-${c.name}` : ""}.log`);
      const restarted = (p.status?.containerStatuses?.find((s) => s.name === c.name)?.restartCount ?? 0) > 0;
      const parts: string[] = [];
      if (restarted) {
        const previous = await core.readNamespacedPodLog({ name, namespace: namespace, container: c.name, previous: true }).catch(() => "");
        parts.push(`--- previous container ---\n${previous}`, "--- current container ---");
      }
      parts.push(await core.readNamespacedPodLog({ name, namespace: namespace, container: c.name }).catch((e: unknown) => `(no log: ${errorMessage(e)})`));
      writeFileSync(file, parts.join("\n"));
    }
  }
  const events = await core.listNamespacedEvent({ namespace: namespace });
  const lines = events.items
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? "").localeCompare(String(b.lastTimestamp ?? b.eventTime ?? "")))
    .map((e) => `${String(e.lastTimestamp ?? e.eventTime ?? "")} ${e.type} ${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}: ${e.message}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ""}`);
  writeFileSync(join(logDir, eventsFile), lines.join("\n") + "\n");
}

/**
 * A Secret of the run's namespace as etcd stores it (read straight from etcd
 * on the cluster's node), with its values as the API server gives them, to
 * look for in the stored bytes.
 */
export async function secretAtRest(core: CoreV1Api, cluster: { node: string; network: string }, namespace: string, name: string): Promise<SecretAtRest> {
  const secret = await core.readNamespacedSecret({ name, namespace });
  const key = `/registry/secrets/${namespace}/${name}`;
  const stored = await readEtcd(cluster.node, cluster.network, key);
  return { key, stored, values: Object.values(secret.data ?? {}).map((v) => Buffer.from(v, "base64").toString("utf8")) };
}
