import { PassThrough } from "node:stream";
import { HarnessError, errorMessage } from "../common/errors.js";
import { docker } from "./docker.js";

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run a command in a running container through the engine's API (what
 * `docker exec` does), without the docker CLI: the kind platform reaches its
 * node's containerd this way. Fails with COMMAND_FAILED, naming the command,
 * the container, its exit code and what it wrote to stderr, when it exits
 * non-zero.
 */
export async function execInContainer(container: string, cmd: readonly string[]): Promise<ExecResult> {
  const shown = `${cmd.join(" ")} in container ${container}`;
  let result: ExecResult;
  try {
    const exec = await docker().getContainer(container).exec({ Cmd: [...cmd], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const stdout = new PassThrough().on("data", (b: Buffer) => out.push(b));
    const stderr = new PassThrough().on("data", (b: Buffer) => err.push(b));
    docker().modem.demuxStream(stream, stdout, stderr);
    await new Promise<void>((resolve, reject) => {
      stream.once("end", () => resolve());
      stream.once("close", () => resolve());
      stream.once("error", reject);
    });
    const info = await exec.inspect();
    result = { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
  } catch (e) {
    throw new HarnessError("COMMAND_FAILED", `could not run ${shown}: ${errorMessage(e)}`, { hint: "is the container running? `docker ps` lists it", cause: e });
  }
  if (result.exitCode !== 0) {
    throw new HarnessError("COMMAND_FAILED", `${shown} exited with code ${result.exitCode}: ${result.stderr.trim().slice(0, 400) || "(no error output)"}`);
  }
  return result;
}
