import type Docker from "dockerode";
import type { Readable, Writable } from "node:stream";
import { filterThrough, type CommandStream } from "../common/command-stream.js";
import { HarnessError } from "../common/errors.js";
import { errorLines } from "../common/exec.js";

/**
 * `docker exec` as streams, through the docker CLI: a command in a running
 * container whose stdout streams back as it is written (stderr is kept for
 * the error message) and whose stdin, when given, streams in (closed at its
 * end, so the command sees EOF). `done` settles with the command's exit code.
 * Its stdout is the CLI's own pipe, so a filter can take it as its stdin with
 * no copy through this process (a backup: pg_dump into age).
 *
 * Not the engine API's hijacked connection: over it, Docker 20.10 sometimes
 * starts the command after the input has gone by, and it reads nothing
 * (measured: pg_restore "read 0" in 2 of 3 runs of
 * test/integration/recovery.test.ts); and its output had to be demultiplexed
 * here, a hop the backup's stream paid for (npm run bench -- dr).
 */
export function streamExec(
  container: Docker.Container,
  cmd: readonly string[],
  options: { stdin?: Readable | "pipe"; stdout?: Writable; user?: string; env?: readonly string[]; describe?: string; privileged?: boolean } = {},
): CommandStream {
  const what = options.describe ?? `\`${cmd.join(" ")}\` in container ${container.id.slice(0, 12)}`;
  const args = [
    "exec",
    ...(options.stdin ? ["-i"] : []),
    ...(options.privileged ? ["--privileged"] : []),
    ...(options.user ? ["--user", options.user] : []),
    ...(options.env ?? []).flatMap((e) => ["--env", e]),
    container.id,
    ...cmd,
  ];
  return filterThrough("docker", args, options.stdin, {
    ...(options.stdout ? { stdout: options.stdout } : {}),
    describe: (stderr, code) => {
      const detail = errorLines(stderr).map((l) => `  ${l}`).join("\n");
      return new HarnessError("COMMAND_FAILED", `${what} ${code === null ? "was killed" : `exited with ${code}`}${detail ? `:\n${detail}` : ""}`, {
        hint: "the error lines above come from the command in the container; its container log is in the run folder's logs/",
      });
    },
  });
}
