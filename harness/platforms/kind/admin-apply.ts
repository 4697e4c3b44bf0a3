import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { HarnessError, errorMessage } from "../../common/errors.js";
import { FIELD_MANAGER } from "./manifests.js";

/**
 * Objects applied server-side with the cluster's admin credentials, in
 * order: what is the cluster's rather than a run's (a namespace's RBAC, the
 * NetworkPolicy agent, metrics-server). Applying them again changes nothing.
 */
export async function applyAsAdmin(admin: KubeConfig, objects: readonly object[], what: string): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(admin);
  for (const obj of objects) {
    const o = obj as KubernetesObject;
    try {
      await api.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (e) {
      throw new HarnessError("CLUSTER_FAILED", `could not apply ${o.kind} ${o.metadata?.name} (${what}): ${errorMessage(e).slice(0, 400)}`, { cause: e });
    }
  }
}
