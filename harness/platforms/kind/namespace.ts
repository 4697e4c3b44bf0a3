import { CoreV1Api, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { waitFor, type Clock } from "../../common/clock.js";
import { errorMessage } from "../../common/errors.js";
import { SELF } from "../../common/process-identity.js";
import type { PlatformContext } from "../platform.js";
import { FIELD_MANAGER, K8S_LABEL } from "./manifests.js";
import { saveNamespaceLogs } from "./namespace-evidence.js";
import { PodProxy } from "./pod-proxy.js";
import { actAsHarness, HARNESS_ACCOUNT, harnessIdentity } from "./rbac.js";

/**
 * A run's namespace, labelled with the run; the harness's own
 * ServiceAccount, Role and RoleBinding in it (rbac.ts), whose token
 * `restricted` then carries for every namespaced call; and the pod proxy the
 * harness reaches pods through, as that account. The namespace is made and
 * removed with the admin credentials (it is cluster-scoped); the teardown that
 * saves the pods' logs and the namespace's events and deletes the namespace is
 * registered before the namespace is created.
 */
export async function openNamespace(o: { admin: KubeConfig; restricted: KubeConfig; core: CoreV1Api; ctx: PlatformContext; namespace: string; clock: Clock }): Promise<PodProxy> {
  const { ctx, namespace: ns } = o;
  const admin = o.admin.makeApiClient(CoreV1Api);
  ctx.teardown.add(`save pod logs and events, delete namespace ${ns}`, async () => {
    await saveNamespaceLogs(o.core, ns, ctx.logDir).catch((e: unknown) => ctx.emit({ type: "note", level: "warn", message: `could not save the pods' logs: ${errorMessage(e)}` }));
    // Services first: their NodePorts are free again at once, for the next run in this cluster (the namespace takes a while to go).
    const services = await admin.listNamespacedService({ namespace: ns }).catch(() => ({ items: [] }));
    await Promise.all(services.items.map((svc) => admin.deleteNamespacedService({ name: svc.metadata!.name!, namespace: ns }).catch(() => undefined)));
    await admin.deleteNamespace({ name: ns, gracePeriodSeconds: 0 }).catch(() => undefined);
    ctx.emit({ type: "resource.removed", kind: "namespace", role: "namespace", name: ns });
  });
  await admin.createNamespace({
    body: { metadata: { name: ns, labels: { [K8S_LABEL.runId]: ctx.runId, [K8S_LABEL.ownerPid]: SELF } } },
  });
  // Pods need the namespace's default service account, which the controller manager adds a moment later.
  await waitFor(() => admin.readNamespacedServiceAccount({ name: "default", namespace: ns }).then(() => true), {
    description: `the default service account of namespace ${ns}`,
    timeoutMs: 30_000,
    intervalMs: 100,
    clock: o.clock,
    signal: ctx.signal,
  });
  ctx.emit({ type: "resource.started", kind: "namespace", role: "namespace", name: ns, id: ns });
  const objects = KubernetesObjectApi.makeApiClient(o.admin);
  const identity = harnessIdentity(ns, ctx.runId);
  for (const obj of [identity.account, identity.role, identity.binding]) await objects.patch(obj as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  const user = await actAsHarness({ admin: o.admin, restricted: o.restricted, core: admin, namespace: ns, clock: o.clock, signal: ctx.signal });
  ctx.emit({ type: "kubernetes.identity", namespace: ns, user, role: HARNESS_ACCOUNT, rules: identity.role.rules?.length ?? 0 });
  const proxy = await PodProxy.start(o.restricted);
  ctx.teardown.add("stop the pod proxy", () => proxy.stop());
  return proxy;
}
