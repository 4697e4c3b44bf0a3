/**
 * The reaper's own process: `reaper-process.ts <parent identity> <run id> [<extra as JSON>]`.
 * Waits for the parent to disappear, then kills the run's processes (load
 * generators), sweeps its containers and networks, and removes the extra
 * containers, files and namespaces it was given (a kind cluster; the run's
 * namespaces in a cluster the harness did not create).
 * SIGTERM from the parent means the parent cleaned up itself.
 */
import { killRunProcesses } from "./processes.js";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../common/paths.js";
import { ownerAlive, pidOf } from "../common/process-identity.js";
import type { ReaperExtra } from "./reaper.js";
import { removeContainersLabelled, sweep } from "./sweep.js";

const [parentArg, runId, extraArg] = process.argv.slice(2);
const extra = extraArg ? (JSON.parse(extraArg) as ReaperExtra) : undefined;
const parent = parentArg ?? "";
if (!Number.isInteger(pidOf(parent)) || !runId) process.exit(2);

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => undefined); // Ctrl-C reaches the whole process group: the parent handles it.

// By pid and start time: the kernel reuses pids, and a stranger with the harness's must not keep the run's resources.
const parentAlive = () => ownerAlive(parent);

const timer = setInterval(() => {
  if (parentAlive()) return;
  clearInterval(timer);
  killRunProcesses(runId);
  console.log(`${new Date().toISOString()} harness ${parent} is gone: cleaning up run ${runId}${extra ? ` and ${extra.what}` : ""}`);
  sweep(runId)
    .then(async (removed) => {
      console.log(`removed containers: ${removed.containers.join(", ") || "none"}; networks: ${removed.networks.join(", ") || "none"}`);
      if (extra) {
        for (const label of extra.containerLabels ?? []) console.log(`removed ${label}: ${(await removeContainersLabelled(label)).join(", ") || "none"}`);
        for (const file of extra.files ?? []) rmSync(file, { force: true, recursive: true });
        if (extra.namespaces) {
          const { kubeconfig, context, selector } = extra.namespaces;
          const kubectl = join(ROOT, ".cache/tools/bin/kubectl");
          console.log(execFileSync(kubectl, ["--kubeconfig", kubeconfig, "--context", context, "delete", "namespace", "--selector", selector, "--wait=false"], { encoding: "utf8", timeout: 60_000 }).trim() || "no namespace left");
        }
        console.log(`removed ${extra.what}`);
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
