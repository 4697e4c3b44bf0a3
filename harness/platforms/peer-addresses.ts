import { LABEL } from "../common/labels.js";
import { docker } from "../engine/docker.js";

/**
 * The addresses on `network` of every running container of the run with the
 * peer's role, but the instance itself. The database is also its fault proxy
 * where the run has one: the way the services reach it.
 */
export async function peerAddresses(runId: string, network: string, peer: string, self?: string): Promise<string[]> {
  const roles = peer === "database" ? ["database", "database-proxy"] : [peer];
  const lists = await Promise.all(roles.map((role) => docker().listContainers({ filters: { label: [`${LABEL.runId}=${runId}`, `${LABEL.role}=${role}`], status: ["running"] } })));
  return lists
    .flat()
    .filter((c) => c.Id !== self)
    .map((c) => c.NetworkSettings?.Networks?.[network]?.IPAddress)
    .filter((ip): ip is string => !!ip);
}
