import { spawn } from "node:child_process";
import { HarnessError } from "./errors.js";

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Wall-clock limit; the process is killed when it passes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with each chunk of output, for progress and logs. */
  onOutput?: (chunk: string) => void;
  hint?: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

const EXIT_MEANING: Record<number, string> = {
  1: "general error",
  2: "misuse or bad input",
  126: "not executable",
  127: "command not found",
  130: "interrupted (SIGINT)",
  137: "killed (SIGKILL, often out of memory or a timeout)",
  143: "terminated (SIGTERM)",
};

/** Lines of stderr that look like errors, so a failure message stays short. */
export function errorLines(stderr: string, max = 8): string[] {
  const lines = stderr.split("\n").map((l) => l.trimEnd()).filter(Boolean);
  const errorish = lines.filter((l) => /error|fail|fatal|denied|not found|no such|cannot|unable/i.test(l));
  return (errorish.length > 0 ? errorish : lines).slice(-max);
}

/** Run a command to completion; a non-zero exit becomes a COMMAND_FAILED error naming the command, its code and what it means. */
export function exec(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      signal: options.signal,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, options.timeoutMs);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      options.onOutput?.(d.toString());
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      options.onOutput?.(d.toString());
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === "ENOENT") {
        reject(
          new HarnessError("TOOL_MISSING", `${command} is not installed or not on PATH`, {
            hint: options.hint ?? "run `npm run doctor` to see what is missing and how to get it",
          }),
        );
      } else if (err.name === "AbortError") {
        reject(new HarnessError("INTERRUPTED", `interrupted while running ${command}`));
      } else reject(new HarnessError("COMMAND_FAILED", `${command} could not start: ${err.message}`, { cause: err }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ stdout, stderr });
      const exitCode = code ?? (signal === "SIGKILL" ? 137 : signal === "SIGTERM" ? 143 : 1);
      const meaning = timedOut ? `timed out after ${options.timeoutMs} ms` : (EXIT_MEANING[exitCode] ?? "failed");
      const detail = errorLines(stderr || stdout).map((l) => `  ${l}`).join("\n");
      reject(
        new HarnessError(
          "COMMAND_FAILED",
          `\`${[command, ...args].join(" ")}\` exited with ${exitCode} (${meaning})${detail ? `:\n${detail}` : ""}`,
          { hint: options.hint },
        ),
      );
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}
