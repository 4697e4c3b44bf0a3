import { CoreV1Api, type KubeConfig, type V1PolicyRule } from "@kubernetes/client-node";
import { applyAsAdmin } from "./admin-apply.js";
import { waitFor, type Clock } from "../../common/clock.js";
import { errorMessage } from "../../common/errors.js";
import { SELF } from "../../common/process-identity.js";
import type { PlatformContext } from "../platform.js";
import { K8S_LABEL } from "./manifests.js";
import { saveNamespaceLogs } from "./namespace-evidence.js";
import { PodProxy } from "./pod-proxy.js";
import { TIER_LABEL } from "./network-policy.js";
import { actAsHarness, HARNESS_ACCOUNT, harnessIdentity, waitBound } from "./rbac.js";

/**
 * A run's namespace, labelled with the run; the harness's own
 * ServiceAccount, Role and RoleBinding in it (rbac.ts), whose token
 * `restricted` then carries for every namespaced call; and the pod proxy the
 * harness reaches pods through, as that account. The namespace is made and
 * removed with the admin credentials (it is cluster-scoped); the teardown that
 * saves the pods' logs and the namespace's events and deletes the namespace is
 * registered before the namespace is created.
 */
export async function openNamespace(o: { admin: KubeConfig; restricted: KubeConfig; core: CoreV1Api; ctx: PlatformContext; namespace: string; clock: Clock; rules?: readonly V1PolicyRule[] }): Promise<PodProxy> {
  const { ctx, namespace: ns } = o;
  const admin = o.admin.makeApiClient(CoreV1Api);
  await createNamespace({ ...o, admin, name: ns, role: "namespace", labels: {} });
  const identity = harnessIdentity(ns, ctx.runId, ns, o.rules);
  await applyAsAdmin(o.admin, [identity.account, identity.role, identity.binding], `the harness's identity in ${ns}`);
  const user = await actAsHarness({ admin: o.admin, restricted: o.restricted, core: admin, namespace: ns, clock: o.clock, signal: ctx.signal });
  ctx.emit({ type: "kubernetes.identity", namespace: ns, user, role: HARNESS_ACCOUNT, rules: identity.role.rules?.length ?? 0 });
  const proxy = await PodProxy.start(o.restricted);
  ctx.teardown.add("stop the pod proxy", () => proxy.stop());
  return proxy;
}

/**
 * A namespace of the run's beside its own, labelled with the run and, when
 * given, a tier (network-policy.ts: "monitoring" is the document's monitoring
 * namespace; none: a namespace the service's policy knows nothing of); the
 * harness's Role bound there to the account it already acts as. Removed with
 * the run, like the run's own.
 */
export async function openSideNamespace(o: { admin: KubeConfig; restricted: KubeConfig; core: CoreV1Api; ctx: PlatformContext; namespace: string; name: string; tier?: string; clock: Clock; rules?: readonly V1PolicyRule[] }): Promise<void> {
  const { ctx, name } = o;
  await createNamespace({ ...o, admin: o.admin.makeApiClient(CoreV1Api), role: o.tier ?? "namespace", labels: o.tier ? { [TIER_LABEL]: o.tier } : {} });
  const identity = harnessIdentity(name, ctx.runId, o.namespace, o.rules);
  await applyAsAdmin(o.admin, [identity.role, identity.binding], `the harness's Role in ${name}`);
  await waitBound(o.restricted, name, o.clock, ctx.signal);
}

/** Name a namespace of the run's: the run's own with a suffix, within Kubernetes' 63 characters. */
export function sideNamespaceName(namespace: string, suffix: string): string {
  return `${namespace.slice(0, 62 - suffix.length).replace(/-+$/, "")}-${suffix}`;
}

/** Create a namespace labelled with the run and its owner, its teardown (logs, events, Services first, then the namespace) registered before. */
async function createNamespace(o: { admin: CoreV1Api; core: CoreV1Api; ctx: PlatformContext; namespace: string; name?: string; role: string; labels: Record<string, string>; clock: Clock }): Promise<void> {
  const { ctx, admin } = o;
  const ns = o.name ?? o.namespace;
  const events = ns === o.namespace ? "kubernetes-events.log" : `kubernetes-events-${ns.slice(o.namespace.length + 1) || ns}.log`;
  ctx.teardown.add(`save pod logs and events, delete namespace ${ns}`, async () => {
    await saveNamespaceLogs(o.core, ns, ctx.logDir, events).catch((e: unknown) => ctx.emit({ type: "note", level: "warn", message: `could not save the pods' logs of ${ns}: ${errorMessage(e)}` }));
    // Services first: their NodePorts are free again at once, for the next run in this cluster (the namespace takes a while to go).
    const services = await admin.listNamespacedService({ namespace: ns }).catch(() => ({ items: [] }));
    await Promise.all(services.items.map((svc) => admin.deleteNamespacedService({ name: svc.metadata!.name!, namespace: ns }).catch(() => undefined)));
    await admin.deleteNamespace({ name: ns, gracePeriodSeconds: 0 }).catch(() => undefined);
    ctx.emit({ type: "resource.removed", kind: "namespace", role: o.role, name: ns });
  });
  await admin.createNamespace({
    body: { metadata: { name: ns, labels: { ...o.labels, [K8S_LABEL.runId]: ctx.runId, [K8S_LABEL.ownerPid]: SELF } } },
  });
  // Pods need the namespace's default service account, which the controller manager adds a moment later.
  await waitFor(() => admin.readNamespacedServiceAccount({ name: "default", namespace: ns }).then(() => true), {
    description: `the default service account of namespace ${ns}`,
    timeoutMs: 30_000,
    intervalMs: 100,
    clock: o.clock,
    signal: ctx.signal,
  });
  ctx.emit({ type: "resource.started", kind: "namespace", role: o.role, name: ns, id: ns });
}

