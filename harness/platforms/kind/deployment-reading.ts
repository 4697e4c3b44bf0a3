import type { V1Deployment, V1PodTemplateSpec, V1Probe, V1ReplicaSet } from "@kubernetes/client-node";
import { HarnessError } from "../../common/errors.js";
import type { DeploymentSummary, ProbeSummary } from "../../model/kubernetes.js";
import { APP_CONTAINER } from "./manifests.js";

/**
 * What the harness reads back from a live Deployment (manifests.ts writes
 * them): the template `rollout undo` restores, and the summary the
 * `deployment` expectation judges.
 */

const REVISION = "deployment.kubernetes.io/revision";

/**
 * What `kubectl rollout undo` restores: the pod template of the newest
 * ReplicaSet older than the current revision, without its pod-template-hash.
 */
export function previousTemplate(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): { revision: number; template: V1PodTemplateSpec } {
  const current = Number(deployment.metadata?.annotations?.[REVISION] ?? 0);
  const owned = replicaSets
    .filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.kind === "Deployment" && r.uid === deployment.metadata?.uid))
    .map((rs) => ({ rs, revision: Number(rs.metadata?.annotations?.[REVISION] ?? 0) }))
    .filter((x) => x.revision < current)
    .sort((a, b) => b.revision - a.revision);
  const previous = owned[0];
  if (!previous) {
    throw new HarnessError("ROLLOUT_FAILED", `deployment ${deployment.metadata?.name} has no revision before ${current} to roll back to`, {
      hint: "a rollback needs an earlier rollout: put a rollout step before the rollout-undo step",
    });
  }
  const template = structuredClone(previous.rs.spec!.template!);
  if (template.metadata?.labels) delete template.metadata.labels["pod-template-hash"];
  return { revision: previous.revision, template };
}

export function summarizeDeployment(d: V1Deployment): DeploymentSummary {
  const c = d.spec?.template.spec?.containers.find((x) => x.name === APP_CONTAINER) ?? d.spec?.template.spec?.containers[0];
  const probe = (p: V1Probe | undefined): ProbeSummary | null =>
    p?.httpGet ? { path: p.httpGet.path ?? "/", port: p.httpGet.port, initialDelaySeconds: p.initialDelaySeconds ?? 0, periodSeconds: p.periodSeconds ?? 10 } : null;
  return {
    name: d.metadata?.name ?? "",
    replicas: d.spec?.replicas ?? 1,
    readyReplicas: d.status?.readyReplicas ?? 0,
    image: c?.image ?? "",
    limits: Object.fromEntries(Object.entries(c?.resources?.limits ?? {}).map(([k, v]) => [k, String(v)])),
    requests: Object.fromEntries(Object.entries(c?.resources?.requests ?? {}).map(([k, v]) => [k, String(v)])),
    liveness: probe(c?.livenessProbe),
    readiness: probe(c?.readinessProbe),
    ...(d.spec?.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: d.spec.progressDeadlineSeconds } : {}),
    ...(d.spec?.strategy?.rollingUpdate?.maxSurge !== undefined ? { maxSurge: d.spec.strategy.rollingUpdate.maxSurge } : {}),
    ...(d.spec?.strategy?.rollingUpdate?.maxUnavailable !== undefined ? { maxUnavailable: d.spec.strategy.rollingUpdate.maxUnavailable } : {}),
    serviceAccount: d.spec?.template.spec?.serviceAccountName ?? "default",
    automountToken: d.spec?.template.spec?.automountServiceAccountToken ?? true,
  };
}
