import { readdirSync, readFileSync } from "node:fs";

/** Every process the harness starts for a run (load generators) carries this variable with the run id. */
export const RUN_ENV = "DEPLOY_GAMEDAY_RUN_ID";

/** Pids of live processes whose environment names the run (Linux /proc; elsewhere none are found). */
export function runProcesses(runId: string): number[] {
  const marker = `${RUN_ENV}=${runId}`;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").includes(marker)) pids.push(Number(entry));
    } catch {
      /* gone already, or not ours to read */
    }
  }
  return pids;
}

/** SIGKILL every process of the run; returns the pids it signalled. */
export function killRunProcesses(runId: string): number[] {
  const pids = runProcesses(runId);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  return pids;
}
