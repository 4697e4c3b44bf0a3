import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LABEL, PROJECT } from "../../harness/common/labels.js";
import { ROOT } from "../../harness/common/paths.js";
import { docker } from "../../harness/engine/docker.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The run folder named on the "evidence:" line, when there is one. */
  runDir?: string;
}

/** Run the real CLI as `npm run scenario` does (without the setup script, which test.sh already ran). */
export function cli(args: string[], options: { onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "harness/cli/main.ts"), ...args], { cwd: ROOT, env: process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(stdout, child);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => {
      const m = /^evidence: (\S+)/m.exec(stdout);
      resolve({ code, stdout, stderr, ...(m ? { runDir: join(ROOT, m[1]!) } : {}) });
    });
  });
}

export function readResults(runDir: string): {
  runId: string;
  verdict: string;
  exitCode: number;
  expectations: Array<{ id: string; held: boolean; evidence: string; description: string }>;
  error: { code: string } | null;
} {
  return JSON.parse(readFileSync(join(runDir, "results.json"), "utf8"));
}

/** An event of a run's events.jsonl, as the e2e tests read it. */
export interface RunEvent {
  type: string;
  t: number;
  specT: number;
  [k: string]: unknown;
}

/** The run's timeline, from its events.jsonl. */
export function readEvents(runDir: string): RunEvent[] {
  return readFileSync(join(runDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as RunEvent);
}

/** How many containers with the run's id are left. */
export async function runContainers(runId: string): Promise<number> {
  return (await docker().listContainers({ all: true, filters: { label: [`${LABEL.project}=${PROJECT}`, `${LABEL.runId}=${runId}`] } })).length;
}
