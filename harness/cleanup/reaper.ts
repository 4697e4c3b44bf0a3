import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SELF } from "../common/process-identity.js";

/**
 * A watchdog process, started before any resource: when this process dies
 * without tidying up (a crash, SIGKILL, a closed terminal), it removes every
 * container and network labelled with the run id, and what the caller adds:
 * containers with another label (a kind cluster's nodes) and files. On a
 * clean exit the run stops it. The same idea as testcontainers' Ryuk, without an image to pull.
 */
export interface Reaper {
  stop(): void;
}

/** More for the reaper to remove: what it is (for its log), containers by label, files and folders, namespaces in a cluster. */
export interface ReaperExtra {
  readonly what: string;
  readonly containerLabels?: readonly string[];
  readonly files?: readonly string[];
  /** Namespaces by label selector in a cluster the harness did not create, deleted with kubectl and that kubeconfig and context. */
  readonly namespaces?: { readonly kubeconfig: string; readonly context: string; readonly selector: string };
}

export function startReaper(runId: string, extra?: ReaperExtra): Reaper {
  const script = fileURLToPath(new URL("./reaper-process.ts", import.meta.url));
  const root = fileURLToPath(new URL("../../", import.meta.url));
  // What it did, or why it failed, is kept: it has no terminal to say it on.
  mkdirSync(join(root, ".cache/reapers"), { recursive: true });
  const log = openSync(join(root, ".cache/reapers", `${runId}.log`), "w");
  let child: ChildProcess | undefined = spawn(process.execPath, ["--import", "tsx", script, SELF, runId, ...(extra ? [JSON.stringify(extra)] : [])], {
    detached: true,
    stdio: ["ignore", log, log],
    env: process.env,
    // `--import tsx` resolves from the project, wherever the harness was started from.
    cwd: root,
  });
  closeSync(log);
  child.unref();
  return {
    stop() {
      if (child && child.exitCode === null) child.kill("SIGTERM");
      child = undefined;
    },
  };
}
