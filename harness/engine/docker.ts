import Docker from "dockerode";
import { HarnessError, errorMessage } from "../common/errors.js";

let client: Docker | undefined;

/** The dockerode client for the engine named by DOCKER_HOST (or the local socket). */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

export const ENGINE_HINT = "run `bash scripts/engine.sh` (npm run scenario and npm test do it for you), or start Docker yourself so that `docker info` answers";

/** Fails with ENGINE_UNAVAILABLE and a hint when no engine answers. */
export async function ensureEngine(): Promise<{ version: string; apiVersion: string }> {
  try {
    const v = await docker().version();
    return { version: v.Version, apiVersion: v.ApiVersion };
  } catch (e) {
    throw new HarnessError("ENGINE_UNAVAILABLE", `no Docker engine answers: ${errorMessage(e)}`, { hint: ENGINE_HINT, cause: e });
  }
}

/**
 * testcontainers settings for this harness, applied once before it is used:
 * connections go to loopback-published ports (the daemon publishes on
 * 127.0.0.1 only), and the harness does its own label-based cleanup instead
 * of the Ryuk reaper, whose image cannot be pulled without a registry.
 * Values already set by the user win.
 */
export function configureTestcontainers(env: NodeJS.ProcessEnv = process.env): void {
  const remote = env.DOCKER_HOST !== undefined && !env.DOCKER_HOST.startsWith("unix://");
  if (!remote) env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";
  env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
}

export async function imageExists(ref: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker().getImage(ref).inspect();
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}
