import { AuthenticationV1Api, AuthorizationV1Api, type CoreV1Api, type KubeConfig, type V1PolicyRule, type V1Role, type V1RoleBinding, type V1ServiceAccount } from "@kubernetes/client-node";
import { waitFor, type Clock } from "../../common/clock.js";
import { HarnessError, errorMessage } from "../../common/errors.js";
import type { AccessCheck, AccessReview } from "../platform.js";
import { K8S_LABEL } from "./manifests.js";

/**
 * Least privilege in a run's namespace (the document's access_control: rbac):
 * the harness creates the namespace with the cluster's admin credentials
 * (namespaces are cluster-scoped), then acts inside it as a ServiceAccount of
 * its own, bound to a namespaced Role with only the verbs it uses. What must
 * be cluster-wide (the namespace itself, the encryption key's rotation, the
 * access reviews) keeps the admin credentials, apart.
 */

export const HARNESS_ACCOUNT = "gameday-harness";
/** How long the harness's token lasts: longer than any run at real speed. */
const TOKEN_SECONDS = 24 * 3600;

/** The verbs the kind platform uses in a run's namespace, and nothing else (kind-platform.ts, namespace-evidence.ts, instance-faults.ts, rollout-status.ts, pod-proxy.ts). */
export const HARNESS_RULES: readonly V1PolicyRule[] = [
  // The versions, the router and Prometheus: applied server-side, rolled out, read back, undone.
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "create", "patch", "update"] },
  { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list"] },
  { apiGroups: [""], resources: ["services", "configmaps"], verbs: ["get", "list", "create", "patch", "update", "delete"] },
  // database-secret: written and read back (the at-rest evidence); never listed.
  { apiGroups: [""], resources: ["secrets"], verbs: ["get", "create", "patch", "update"] },
  // Pods: watched, one deleted (delete-pod), their logs saved; reached through the API server's proxy.
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "delete"] },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  { apiGroups: [""], resources: ["pods/proxy", "services/proxy"], verbs: ["get", "create", "update", "patch", "delete"] },
  { apiGroups: [""], resources: ["events"], verbs: ["list"] },
  // The reference service's own ServiceAccount, from the overlay (k8s/base/serviceaccount.yaml).
  { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get", "create", "patch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list"] },
  // The overlay's NetworkPolicies (k8s/components/network-policies): applied, and read back for the deployment's evidence.
  { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["get", "list", "create", "patch"] },
  // The production overlay's HorizontalPodAutoscaler: applied, and its status watched with the pods.
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ["get", "list", "create", "patch"] },
  // The production overlay's PodDisruptionBudget: applied, and its status watched with the pods.
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["get", "list", "create", "patch"] },
];

/** What the harness uses besides on a cluster it was pointed at (--platform kubernetes): PostgreSQL as a StatefulSet, and the router, Prometheus and the database reached by `kubectl port-forward` (no NodePort reaches this machine). */
export const EXTERNAL_CLUSTER_RULES: readonly V1PolicyRule[] = [
  { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["get", "list", "create", "patch"] },
  { apiGroups: [""], resources: ["pods/portforward"], verbs: ["get", "create"] },
];

/**
 * The harness's ServiceAccount, Role and RoleBinding in a run's namespace;
 * in another namespace of the run's (`accountNamespace`: where the account
 * lives), the same Role bound to that same account.
 */
export function harnessIdentity(namespace: string, runId: string, accountNamespace = namespace, extraRules: readonly V1PolicyRule[] = []): { account: V1ServiceAccount; role: V1Role; binding: V1RoleBinding } {
  const metadata = { name: HARNESS_ACCOUNT, namespace, labels: { [K8S_LABEL.runId]: runId } };
  return {
    account: { apiVersion: "v1", kind: "ServiceAccount", metadata, automountServiceAccountToken: false },
    role: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata, rules: [...HARNESS_RULES, ...extraRules].map((r) => ({ ...r })) },
    binding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: HARNESS_ACCOUNT },
      subjects: [{ kind: "ServiceAccount", name: HARNESS_ACCOUNT, namespace: accountNamespace }],
    },
  };
}

/** The user name Kubernetes gives a ServiceAccount. */
export function serviceAccountUser(namespace: string, account: string): string {
  return `system:serviceaccount:${namespace}:${account}`;
}

/**
 * Point `restricted` (a KubeConfig the namespaced API clients were made from:
 * they read its user at every request) at a token of the harness's
 * ServiceAccount; the user the API server then sees, by its own account (a
 * SelfSubjectReview).
 */
export async function actAsHarness(o: { admin: KubeConfig; restricted: KubeConfig; core: CoreV1Api; namespace: string; clock: Clock; signal?: AbortSignal }): Promise<string> {
  const { admin, restricted, core, namespace } = o;
  const token = await core
    .createNamespacedServiceAccountToken({ name: HARNESS_ACCOUNT, namespace, body: { spec: { expirationSeconds: TOKEN_SECONDS, audiences: [] } } })
    .then((r) => r.status?.token)
    .catch((e: unknown) => {
      throw new HarnessError("CLUSTER_FAILED", `could not get a token for ServiceAccount ${namespace}/${HARNESS_ACCOUNT}: ${errorMessage(e)}`, { cause: e });
    });
  if (!token) throw new HarnessError("CLUSTER_FAILED", `the API server gave no token for ServiceAccount ${namespace}/${HARNESS_ACCOUNT}`);
  const cluster = admin.getCurrentCluster()!;
  restricted.loadFromOptions({
    clusters: [cluster],
    users: [{ name: HARNESS_ACCOUNT, token }],
    contexts: [{ name: HARNESS_ACCOUNT, cluster: cluster.name, user: HARNESS_ACCOUNT, namespace }],
    currentContext: HARNESS_ACCOUNT,
  });
  await waitBound(restricted, namespace, o.clock, o.signal);
  const review = await restricted.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } });
  return review.status?.userInfo?.username ?? "unknown";
}

/** The authorizer learns of a new RoleBinding a moment after it is stored: wait until the account `restricted` carries may do what the Role grants in `namespace`. */
export async function waitBound(restricted: KubeConfig, namespace: string, clock: Clock, signal?: AbortSignal): Promise<void> {
  const self = restricted.makeApiClient(AuthorizationV1Api);
  await waitFor(
    async () => {
      const r = await self.createSelfSubjectAccessReview({ body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: { namespace, verb: "patch", group: "apps", resource: "deployments" } } } });
      return r.status?.allowed === true ? true : undefined;
    },
    { description: `the RoleBinding of ${HARNESS_ACCOUNT} in ${namespace} to take effect`, timeoutMs: 30_000, intervalMs: 100, clock, ...(signal ? { signal } : {}) },
  );
}

/** Ask the API server whether a user may do something (a SubjectAccessReview, made with the admin credentials). */
export async function reviewAccess(admin: KubeConfig, user: string, check: AccessCheck & { namespace: string }): Promise<AccessReview> {
  const [resource, subresource] = check.resource.split("/");
  const review = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user,
        groups: user.startsWith("system:serviceaccount:") ? ["system:serviceaccounts", `system:serviceaccounts:${user.split(":")[2]}`, "system:authenticated"] : ["system:authenticated"],
        resourceAttributes: { namespace: check.namespace, verb: check.verb, group: check.group ?? "", resource: resource!, ...(subresource ? { subresource } : {}) },
      },
    },
  });
  return { ...check, user, allowed: review.status?.allowed === true, reason: review.status?.reason ?? review.status?.evaluationError ?? "" };
}
