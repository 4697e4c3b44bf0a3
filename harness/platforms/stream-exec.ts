import type Docker from "dockerode";
import { PassThrough, type Readable } from "node:stream";
import { waitFor } from "../common/clock.js";
import { filterThrough, type CommandStream } from "../common/command-stream.js";
import { HarnessError, errorMessage } from "../common/errors.js";
import { errorLines } from "../common/exec.js";
import { docker } from "../engine/docker.js";

const STDERR_KEEP = 8_000;

/**
 * `docker exec` as streams, through the engine's API: a command in a running container
 * whose stdout streams back as it is written (stderr is kept for the error
 * message) and whose stdin, when given, streams in (closed at its end, so the
 * command sees EOF). `done` settles with the command's exit code, read from
 * the exec once its output ended.
 */
export function streamExec(
  container: Docker.Container,
  cmd: readonly string[],
  options: { stdin?: Readable; user?: string; env?: readonly string[]; describe?: string; privileged?: boolean } = {},
): CommandStream {
  const what = options.describe ?? `\`${cmd.join(" ")}\` in container ${container.id.slice(0, 12)}`;
  // Input goes through the docker CLI (`docker exec -i`): over the engine API's hijacked connection, Docker 20.10
  // sometimes starts the command after the input has gone by, and it reads nothing (measured: pg_restore
  // "read 0" in 2 of 3 runs of test/integration/recovery.test.ts).
  if (options.stdin) {
    const args = ["exec", "-i", ...(options.privileged ? ["--privileged"] : []), ...(options.user ? ["--user", options.user] : []), ...(options.env ?? []).flatMap((e) => ["--env", e]), container.id, ...cmd];
    return filterThrough("docker", args, options.stdin, {
      describe: (stderr, code) => {
        const detail = errorLines(stderr).map((l) => `  ${l}`).join("\n");
        return new HarnessError("COMMAND_FAILED", `${what} ${code === null ? "was killed" : `exited with ${code}`}${detail ? `:\n${detail}` : ""}`, {
          hint: "the error lines above come from the command in the container; its container log is in the run folder's logs/",
        });
      },
    });
  }
  const stdout = new PassThrough();
  let stderr = "";
  const stderrSink = new PassThrough();
  stderrSink.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_KEEP);
  });
  const done = (async () => {
    let exec: Docker.Exec;
    let stream: NodeJS.ReadWriteStream;
    try {
      exec = await container.exec({
        Cmd: [...cmd],
        AttachStdout: true,
        AttachStderr: true,
        ...(options.user ? { User: options.user } : {}),
        ...(options.env ? { Env: [...options.env] } : {}),
        ...(options.privileged ? { Privileged: true } : {}),
      });
      stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadWriteStream;
    } catch (e) {
      stdout.end();
      throw new HarnessError("CONTAINER_FAILED", `could not run ${what}: ${errorMessage(e)}`, { hint: "is the container running? `npm run doctor` checks the engine", cause: e });
    }
    let streamError: unknown;
    const ended = new Promise<void>((resolve) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", (e) => {
        streamError = e;
        resolve();
      });
    });
    docker().modem.demuxStream(stream, stdout, stderrSink);
    try {
      await ended;
    } finally {
      stdout.end();
    }
    // The stream ends as the process does; its exit code may take a moment to show.
    const exitCode = await waitFor(
      async () => {
        const info = await exec.inspect();
        return info.Running ? undefined : (info.ExitCode ?? -1);
      },
      { description: `the exit code of ${what}`, timeoutMs: 10_000, intervalMs: 20 },
    ).catch((e: unknown) => {
      throw streamError ? new HarnessError("CONTAINER_FAILED", `${what}: the connection broke (${errorMessage(streamError)})`, { cause: streamError }) : e;
    });
    if (exitCode !== 0) {
      const detail = errorLines(stderr).map((l) => `  ${l}`).join("\n");
      throw new HarnessError("COMMAND_FAILED", `${what} exited with ${exitCode}${detail ? `:\n${detail}` : ""}`, {
        hint: "the error lines above come from the command in the container; its container log is in the run folder's logs/",
      });
    }
  })();
  // The caller awaits `done` beside the consumer of stdout; keep an early rejection from being reported as unhandled.
  done.catch(() => undefined);
  return { stdout, done };
}
