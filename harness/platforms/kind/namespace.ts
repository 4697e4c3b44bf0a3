import type { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { waitFor, type Clock } from "../../common/clock.js";
import { errorMessage } from "../../common/errors.js";
import { SELF } from "../../common/process-identity.js";
import type { PlatformContext } from "../platform.js";
import { K8S_LABEL } from "./manifests.js";
import { saveNamespaceLogs } from "./namespace-evidence.js";
import { PodProxy } from "./pod-proxy.js";

/**
 * A run's namespace, labelled with the run, and the pod proxy the harness
 * reaches pods through. The teardown that saves the pods' logs and the
 * namespace's events and deletes the namespace is registered before the
 * namespace is created.
 */
export async function openNamespace(o: { core: CoreV1Api; ctx: PlatformContext; namespace: string; clock: Clock; kubeConfig: KubeConfig }): Promise<PodProxy> {
  const { core, ctx, namespace: ns } = o;
  ctx.teardown.add(`save pod logs and events, delete namespace ${ns}`, async () => {
    await saveNamespaceLogs(core, ns, ctx.logDir).catch((e: unknown) => ctx.emit({ type: "note", level: "warn", message: `could not save the pods' logs: ${errorMessage(e)}` }));
    // Services first: their NodePorts are free again at once, for the next run in this cluster (the namespace takes a while to go).
    const services = await core.listNamespacedService({ namespace: ns }).catch(() => ({ items: [] }));
    await Promise.all(services.items.map((svc) => core.deleteNamespacedService({ name: svc.metadata!.name!, namespace: ns }).catch(() => undefined)));
    await core.deleteNamespace({ name: ns, gracePeriodSeconds: 0 }).catch(() => undefined);
    ctx.emit({ type: "resource.removed", kind: "namespace", role: "namespace", name: ns });
  });
  await core.createNamespace({
    body: { metadata: { name: ns, labels: { [K8S_LABEL.runId]: ctx.runId, [K8S_LABEL.ownerPid]: SELF } } },
  });
  // Pods need the namespace's default service account, which the controller manager adds a moment later.
  await waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace: ns }).then(() => true), {
    description: `the default service account of namespace ${ns}`,
    timeoutMs: 30_000,
    intervalMs: 100,
    clock: o.clock,
    signal: ctx.signal,
  });
  ctx.emit({ type: "resource.started", kind: "namespace", role: "namespace", name: ns, id: ns });
  const proxy = await PodProxy.start(o.kubeConfig);
  ctx.teardown.add("stop the pod proxy", () => proxy.stop());
  return proxy;
}
