import { rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../common/paths.js";
import { sweep } from "../cleanup/sweep.js";
import { ownerAlive } from "../common/process-identity.js";
import { ExitCode } from "../common/errors.js";
import { LABEL, PROJECT } from "../common/labels.js";
import { docker, ensureEngine } from "../engine/docker.js";

/**
 * `npm run clean`: remove every container and network the harness labelled,
 * the kind clusters of invocations that are gone, and the namespaces dead runs
 * left in the kept cluster; `--clusters` removes the kept cluster too,
 * `--force` also what live runs own, `--images` the images.
 */
export async function cleanCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { images: { type: "boolean" }, force: { type: "boolean" }, clusters: { type: "boolean" } } });
  await ensureEngine();
  const force = values.force === true;
  const { isKeptCluster, deleteCluster, harnessClusters, pruneClusterState, pruneRunNamespaces } = await import("../platforms/kind/cluster.js");
  const clusters = await harnessClusters();
  for (const { name, owner } of clusters) {
    const kept = isKeptCluster(name);
    if (kept && !values.clusters) {
      const namespaces = await pruneRunNamespaces(name, force, ownerAlive);
      if (namespaces.length) console.log(`removed ${namespaces.length} namespace(s) of runs that are gone from kind cluster ${name}: ${namespaces.join(", ")}`);
      console.log(`left kind cluster ${name} (kept with --keep-cluster; -- --clusters removes it)`);
      continue;
    }
    if (!kept && !force && owner && ownerAlive(owner.owner ?? owner.pid)) {
      console.log(`left kind cluster ${name}: its harness (pid ${owner.pid}) is still running; stop it, or use -- --force`);
      continue;
    }
    await deleteCluster(name);
    console.log(`removed kind cluster ${name}`);
  }
  pruneClusterState(new Set((await harnessClusters()).map((c) => c.name)));
  // The reapers' own logs (what they cleaned after a harness died).
  rmSync(join(ROOT, ".cache/reapers"), { recursive: true, force: true });
  const removed = await sweep(undefined, undefined, { includeLiveRuns: force });
  if (removed.skippedLiveRuns.length > 0) {
    console.log(`left alone: ${removed.skippedLiveRuns.join(", ")} (still running; stop it, or use -- --force)`);
  }
  console.log(`removed ${removed.containers.length} container(s)${removed.containers.length ? `: ${removed.containers.join(", ")}` : ""}`);
  console.log(`removed ${removed.networks.length} network(s)${removed.networks.length ? `: ${removed.networks.join(", ")}` : ""}`);
  if (values.images) {
    const images = await docker().listImages({ filters: { label: [`${LABEL.project}=${PROJECT}`] } });
    for (const img of images) await docker().getImage(img.Id).remove({ force: true }).catch(() => undefined);
    console.log(`removed ${images.length} image(s); the next run builds them again`);
  }
  return ExitCode.held;
}
