import type Docker from "dockerode";
import { LABEL, PROJECT } from "../common/labels.js";
import { docker } from "../engine/docker.js";

export interface SweepResult {
  containers: string[];
  networks: string[];
}

/**
 * Remove every container and network carrying the project's label (and the
 * run's label when a run id is given). Used by teardown, by the reaper when a
 * run dies, and by `npm run clean`.
 */
export async function sweep(runId?: string, client: Docker = docker()): Promise<SweepResult> {
  const labels = [`${LABEL.project}=${PROJECT}`, ...(runId ? [`${LABEL.runId}=${runId}`] : [])];
  const containers = await client.listContainers({ all: true, filters: { label: labels } });
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
  const networks = await client.listNetworks({ filters: { label: labels } });
  for (const n of networks) {
    try {
      await client.getNetwork(n.Id).remove();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    }
  }
  return { containers: containers.map((c) => c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12)), networks: networks.map((n) => n.Name) };
}
