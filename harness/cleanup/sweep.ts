import type Docker from "dockerode";
import { KIND_CLUSTER_LABEL, LABEL, PROJECT } from "../common/labels.js";
import { ownerAlive } from "../common/process-identity.js";
import { docker } from "../engine/docker.js";

export interface SweepResult {
  containers: string[];
  networks: string[];
  /** Run ids left alone because the harness process that owns them is still running. */
  skippedLiveRuns: string[];
}

/**
 * Remove every container and network carrying the project's label (and the
 * run's label when a run id is given). Used by teardown, by the reaper when a
 * run dies, and by `npm run clean`.
 */
export async function sweep(runId?: string, client: Docker = docker(), options: { includeLiveRuns?: boolean } = {}): Promise<SweepResult> {
  const labels = [`${LABEL.project}=${PROJECT}`, ...(runId ? [`${LABEL.runId}=${runId}`] : [])];
  // Sweeping everything (npm run clean) must not pull the floor from under a run still going on.
  const skip = new Set<string>();
  const keep = (l: Record<string, string> | undefined) => {
    if (runId || options.includeLiveRuns || !ownerAlive(l?.[LABEL.ownerPid])) return false;
    skip.add(l?.[LABEL.runId] ?? "?");
    return true;
  };
  // kind's node containers inherit the project label from the node image: clusters are removed as clusters (npm run clean handles them).
  const containers = (await client.listContainers({ all: true, filters: { label: labels } })).filter((c) => !c.Labels?.[KIND_CLUSTER_LABEL] && !keep(c.Labels));
  await Promise.all(
    containers.map(async (c) => {
      try {
        if (c.State === "paused") await client.getContainer(c.Id).unpause();
        await client.getContainer(c.Id).remove({ force: true, v: true });
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 404) throw e;
      }
    }),
  );
  const networks = (await client.listNetworks({ filters: { label: labels } })).filter((n) => !keep(n.Labels));
  for (const n of networks) {
    try {
      await client.getNetwork(n.Id).remove();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    }
  }
  return {
    containers: containers.map((c) => c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12)),
    networks: networks.map((n) => n.Name),
    skippedLiveRuns: [...skip],
  };
}

/** Remove every container carrying `label` (key=value), whatever else it carries: a kind cluster's nodes. */
export async function removeContainersLabelled(label: string, client: Docker = docker()): Promise<string[]> {
  const containers = await client.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    containers.map((c) =>
      client
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((e: { statusCode?: number }) => {
          if (e.statusCode !== 404) throw e;
        }),
    ),
  );
  return containers.map((c) => c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12));
}
