import { spawn, type ChildProcess } from "node:child_process";
import { Readable, type Writable } from "node:stream";
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
  /**
   * Its stdin pipe, when it was started with `"pipe"` as its input: hand it
   * to the command that feeds it (filterThrough's `stdout`), so the bytes go
   * from that process to this one through no other; then close it here.
   */
  readonly stdin?: Writable;
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

export interface FilterOptions {
  describe?: (stderr: string, exitCode: number | null) => HarnessError | undefined;
  hint?: string;
  signal?: AbortSignal;
  /**
   * Another command's stdin (its pipe, as spawn() hands it over): this
   * command writes straight into it, with no copy through this process; the
   * CommandStream's own stdout is then empty.
   */
  stdout?: Writable | "ignore";
}

/**
 * Run `command args` with `input` piped into its stdin (a filter such as
 * `age -r ...`; no stdin without one). A failure names the command;
 * `describe` turns its stderr into a more specific error where the caller
 * knows what the lines mean.
 */
export function filterThrough(command: string, args: readonly string[], input: Readable | "pipe" | undefined, options: FilterOptions = {}): CommandStream {
  const { child, done } = start(command, args, [input ? "pipe" : "ignore", options.stdout ?? "pipe"], options);
  if (input === "pipe") {
    child.stdin!.on("error", () => undefined);
    return { stdout: child.stdout ?? Readable.from([]), done, stdin: child.stdin! };
  }
  if (input && child.stdin) {
    const stdin = child.stdin;
    // A filter that exits early (bad input) breaks the pipe: its exit code says why, not the EPIPE.
    stdin.on("error", () => undefined);
    input.on("error", (e) => stdin.destroy(e));
    input.pipe(stdin);
    child.once("close", () => input.unpipe(stdin));
  }
  return { stdout: child.stdout ?? Readable.from([]), done };
}

/**
 * A command that reads its stdin and writes elsewhere (`age -o file`): its
 * stdin pipe, to hand to the command that feeds it (filterThrough's
 * `stdout`), then to close here; `done` as filterThrough's.
 */
export function commandSink(command: string, args: readonly string[], options: Omit<FilterOptions, "stdout"> = {}): { stdin: Writable; done: Promise<void> } {
  const { stdin, done } = filterThrough(command, args, "pipe", { ...options, stdout: "ignore" });
  return { stdin: stdin!, done };
}

function start(command: string, args: readonly string[], [stdin, stdout]: [StdioTarget, StdioTarget], options: FilterOptions): { child: ChildProcess; done: Promise<void> } {
  const child = spawn(command, args, { stdio: [stdin, stdout, "pipe"], signal: options.signal });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_KEEP);
  });
  const done = new Promise<void>((resolve, reject) => {
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once("error", (e: NodeJS.ErrnoException) => {
      spawnError = e;
      if (child.pid === undefined) finish(null);
    });
    const finish = (code: number | null) => {
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
  return { child, done };
}

type StdioTarget = "pipe" | "ignore" | Writable;
