import { createWriteStream } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { StartedTestContainer } from "testcontainers";
import { HarnessError, errorMessage } from "../common/errors.js";
import type { PlatformContext } from "./platform.js";

/** Start one container of the run: its start goes on the timeline; a failure names the container and where its log is. */
export async function startContainer(ctx: PlatformContext, role: string, name: string, run: () => Promise<StartedTestContainer>): Promise<StartedTestContainer> {
  const started = Date.now();
  try {
    const container = await run();
    ctx.emit({ type: "resource.started", kind: "container", role, name, id: container.getId(), seconds: (Date.now() - started) / 1000 });
    return container;
  } catch (e) {
    throw new HarnessError("CONTAINER_FAILED", `the ${role} container ${name} did not start: ${errorMessage(e)}`, {
      hint: `its log is in ${join(ctx.logDir, `${name}.log`)}`,
      cause: e,
    });
  }
}

/** A testcontainers log consumer writing to the run's logs/<name>.log. */
export function logTo(ctx: PlatformContext, name: string): (stream: Readable) => void {
  return (stream) => stream.pipe(createWriteStream(join(ctx.logDir, `${name}.log`)));
}
