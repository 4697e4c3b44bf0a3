/**
 * The reaper's own process: `reaper-process.ts <parent pid> <run id> [<kind cluster>]`.
 * Waits for the parent to disappear, then kills the run's processes (load
 * generators) and sweeps its containers and networks.
 * SIGTERM from the parent means the parent cleaned up itself.
 */
import { killRunProcesses } from "./processes.js";
import { sweep } from "./sweep.js";

const [parentArg, runId, kindCluster] = process.argv.slice(2);
const parent = Number(parentArg);
if (!Number.isInteger(parent) || !runId) process.exit(2);

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => undefined); // Ctrl-C reaches the whole process group: the parent handles it.

function parentAlive(): boolean {
  try {
    process.kill(parent, 0);
    return true;
  } catch {
    return false;
  }
}

const timer = setInterval(() => {
  if (parentAlive()) return;
  clearInterval(timer);
  killRunProcesses(runId);
  console.log(`${new Date().toISOString()} harness ${parent} is gone: cleaning up run ${runId}${kindCluster ? ` and kind cluster ${kindCluster}` : ""}`);
  sweep(runId)
    .then(async (removed) => {
      console.log(`removed containers: ${removed.containers.join(", ") || "none"}; networks: ${removed.networks.join(", ") || "none"}`);
      if (kindCluster) {
        await (await import("../platforms/kind/cluster.js")).deleteCluster(kindCluster);
        console.log(`deleted kind cluster ${kindCluster}`);
      }
    })
    .then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`cleanup failed: ${e instanceof Error ? e.stack : String(e)}`);
        process.exit(1);
      },
    );
}, 500);
