import { PostgreSqlContainer } from "@testcontainers/postgresql";
import type { Readable } from "node:stream";
import type { StartedTestContainer } from "testcontainers";
import { HarnessError } from "../common/errors.js";
import { runLabels } from "../common/labels.js";
import { configureTestcontainers, docker } from "../engine/docker.js";
import { streamExec } from "./stream-exec.js";
import type { Database, PlatformContext } from "./platform.js";

import { DB } from "../model/database.js";

export { DB };

/**
 * PostgreSQL as a testcontainers container on a Docker network, for every platform:
 * on Docker the run's own network, on kind the cluster's network.
 * `host` picks the address services use: a network alias, or the container's IP on the network.
 */
export async function startPostgres(
  ctx: PlatformContext,
  options: {
    name: string;
    network: string;
    alias?: string;
    /** false: on the network without the alias yet (a standby); its serviceUrl names the alias it will be given. Default true. */
    attach?: boolean;
    start: (run: () => Promise<StartedTestContainer>) => Promise<StartedTestContainer>;
    logTo: (stream: Readable) => void;
  },
): Promise<Database> {
  configureTestcontainers();
  const image = await ctx.images.ensure("postgres");
  const name = ctx.databaseName ?? DB.name;
  const container = await options.start(() => {
    let c = new PostgreSqlContainer(image.ref)
      .withName(options.name)
      .withDatabase(name)
      .withUsername(DB.user)
      .withPassword(DB.password)
      .withNetworkMode(options.network)
      .withLabels(runLabels(ctx.runId, "database"))
      .withLogConsumer(options.logTo);
    if (options.alias && options.attach !== false) c = c.withNetworkAliases(options.alias);
    return c.start();
  });
  const handle = docker().getContainer(container.getId());
  ctx.emit({ type: "database.ready", database: name, server: options.name });
  let host = options.alias;
  if (!host) {
    const info = await handle.inspect();
    host = info.NetworkSettings.Networks[options.network]?.IPAddress;
    if (!host) throw new HarnessError("CONTAINER_FAILED", `database container ${options.name} has no address on network ${options.network}`);
  }
  return {
    name,
    serviceUrl: `postgres://${DB.user}:${DB.password}@${host}:${DB.port}/${name}`,
    harnessUrl: async () => {
      const info = await handle.inspect();
      const port = info.NetworkSettings.Ports[`${DB.port}/tcp`]?.[0]?.HostPort;
      if (!port) throw new HarnessError("CONTAINER_FAILED", `database container ${options.name} has no published port (is it stopped?)`);
      return `postgres://${DB.user}:${DB.password}@127.0.0.1:${port}/${name}`;
    },
    pause: () => handle.pause(),
    unpause: () => handle.unpause(),
    stop: () => handle.stop({ t: 5 }),
    start: async () => {
      await handle.start();
      // Docker may hand a restarted container another address; the services were told this one.
      const info = await handle.inspect();
      const now = info.NetworkSettings.Networks[options.network]?.IPAddress;
      if (!options.alias && now !== host) {
        throw new HarnessError("CONTAINER_FAILED", `database container ${options.name} came back on ${now}, not ${host}; the services cannot reach it`, {
          hint: "another container took its address on the network while it was stopped; run the scenario again",
        });
      }
    },
    // Over the local socket, where the image trusts local connections: no password on a command line.
    exec: (command, io) =>
      streamExec(handle, command, { user: "postgres", ...(io?.stdin ? { stdin: io.stdin } : {}), ...(io?.stdout ? { stdout: io.stdout } : {}), describe: `\`${command.join(" ")}\` in database container ${options.name}` }),
    destroy: async () => {
      await handle.remove({ force: true, v: true }).catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 404) throw e;
      });
      ctx.emit({ type: "resource.removed", kind: "container", role: "database", name: options.name });
    },
  };
}
