import { spawn } from "node:child_process";
import { join, resolve as resolvePath } from "node:path";
import { HarnessError } from "../common/errors.js";
import { ROOT } from "../common/paths.js";

/**
 * One command of the harness run by a bench in its own process (in the
 * project, or in `cwd` with `env`): its exit code, its run folder, its wall
 * seconds, and when it started (Date.now()).
 */
export function runCommand(
  command: string,
  args: readonly string[],
  signal: AbortSignal,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; runDir: string; seconds: number; startedAt: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const startedAt = Date.now();
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ["ignore", "pipe", "inherit"] });
    const stop = () => child.kill("SIGINT");
    signal.addEventListener("abort", stop, { once: true });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      signal.removeEventListener("abort", stop);
      const dir = /^evidence: (\S+)/m.exec(out)?.[1];
      if (!dir) return reject(new HarnessError("COMMAND_FAILED", `${[command, ...args].join(" ")} printed no evidence line (exit ${code})`, { hint: out.slice(-2000) }));
      // The CLI names its run folder from where the user ran the command (npm says where: INIT_CWD).
      resolve({ code, runDir: resolvePath(options.cwd ?? process.env.INIT_CWD ?? ROOT, dir), seconds, startedAt });
    });
  });
}

/** The harness's CLI as `npm run scenario` runs it, without the setup script. */
export const CLI = [process.execPath, "--import", "tsx", join(ROOT, "harness/cli/main.ts")] as const;
