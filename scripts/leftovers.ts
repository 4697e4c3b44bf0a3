// Prints one line per container or network that still carries the project's label.
import { LABEL, PROJECT } from "../harness/common/labels.js";
import { docker } from "../harness/engine/docker.js";

const label = [`${LABEL.project}=${PROJECT}`];
const containers = await docker().listContainers({ all: true, filters: { label } });
const networks = await docker().listNetworks({ filters: { label } });
for (const c of containers) console.log(`container ${c.Names[0]?.replace(/^\//, "")} (${c.State}, run ${c.Labels[LABEL.runId] ?? "?"})`);
for (const n of networks) console.log(`network ${n.Name} (run ${n.Labels?.[LABEL.runId] ?? "?"})`);
