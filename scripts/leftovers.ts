// Prints one line per container or network that still carries the project's label,
// and per kind cluster a command made and did not delete (the cluster kept on
// purpose with --keep-cluster, "gameday", is the user's and not counted).
import { KIND_CLUSTER_LABEL, LABEL, PROJECT } from "../harness/common/labels.js";
import { docker } from "../harness/engine/docker.js";
import { KEPT_CLUSTER } from "../harness/platforms/kind/cluster.js";

const label = [`${LABEL.project}=${PROJECT}`];
const containers = await docker().listContainers({ all: true, filters: { label } });
const networks = await docker().listNetworks({ filters: { label } });
for (const c of containers) {
  const cluster = c.Labels[KIND_CLUSTER_LABEL];
  if (cluster === KEPT_CLUSTER) continue;
  console.log(cluster ? `kind cluster ${cluster} (node ${c.Names[0]?.replace(/^\//, "")}, ${c.State})` : `container ${c.Names[0]?.replace(/^\//, "")} (${c.State}, run ${c.Labels[LABEL.runId] ?? "?"})`);
}
for (const n of networks) console.log(`network ${n.Name} (run ${n.Labels?.[LABEL.runId] ?? "?"})`);
