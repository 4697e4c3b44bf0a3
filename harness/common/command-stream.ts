import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { HarnessError } from "./errors.js";
import { errorLines } from "./exec.js";

/**
 * A command whose output is read as a stream while it runs: `stdout` carries
 * its output, `done` settles when it has exited (rejecting on a non-zero exit
 * with its error lines). Backups go through such streams end to end, so a dump
 * is never held whole in memory or written in the clear to disk.
 */
export interface CommandStream {
  readonly stdout: Readable;
  readonly done: Promise<void>;
}

/** Read a stream to its end, discarding what it carries. */
export async function drain(stream: Readable): Promise<void> {
  for await (const _ of stream);
}

/** A command whose output is not wanted: its output is discarded as it comes, and its exit judged. */
export function completed(command: CommandStream): Promise<void> {
  command.stdout.resume();
  return command.done;
}

const STDERR_KEEP = 8_000;

/**
 * Run `command args` with `input` piped into its stdin (a filter such as
 * `age -r ...`). A failure names the command; `describe` turns its stderr into
 * a more specific error where the caller knows what the lines mean.
 */
export function filterThrough(
  command: string,
  args: readonly string[],
  input: Readable,
  options: { describe?: (stderr: string, exitCode: number | null) => HarnessError | undefined; hint?: string; signal?: AbortSignal } = {},
): CommandStream {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], signal: options.signal });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_KEEP);
  });
  // A filter that exits early (bad input) breaks the pipe: its exit code says why, not the EPIPE.
  child.stdin.on("error", () => undefined);
  input.on("error", (e) => child.stdin.destroy(e));
  input.pipe(child.stdin);
  const done = new Promise<void>((resolve, reject) => {
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once("error", (e: NodeJS.ErrnoException) => {
      spawnError = e;
      if (child.pid === undefined) finish(null);
    });
    const finish = (code: number | null) => {
      input.unpipe(child.stdin);
      if (spawnError?.code === "ENOENT") {
        return reject(new HarnessError("TOOL_MISSING", `${command} is not installed or not on PATH`, { hint: options.hint ?? "`npm run doctor` says what is missing and how to get it" }));
      }
      if (spawnError?.name === "AbortError") return reject(new HarnessError("INTERRUPTED", `interrupted while running ${command}`));
      if (code === 0 && !spawnError) return resolve();
      const specific = options.describe?.(stderr, code);
      if (specific) return reject(specific);
      const detail = errorLines(stderr).map((l) => `  ${l}`).join("\n");
      reject(
        new HarnessError("COMMAND_FAILED", `\`${command} ${args.join(" ")}\` ${code === null ? "was killed" : `exited with ${code}`}${detail ? `:\n${detail}` : ""}`, {
          hint: options.hint,
        }),
      );
    };
    child.once("close", (code) => finish(code));
  });
  // The caller awaits `done` with the stream's consumer; keep an early rejection from being reported as unhandled.
  done.catch(() => undefined);
  return { stdout: child.stdout, done };
}
