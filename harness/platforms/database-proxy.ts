import type { Readable } from "node:stream";
import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";
import { HarnessError, errorMessage } from "../common/errors.js";
import { runLabels } from "../common/labels.js";
import { configureTestcontainers, docker } from "../engine/docker.js";
import type { Database, DatabaseProxy, PlatformContext, Toxic } from "./platform.js";

/** Toxiproxy's API port (published on 127.0.0.1 only, for the harness) and where the proxy listens for the services. */
export const TOXIPROXY_API_PORT = 8474;
const LISTEN_PORT = 5432;
/** The proxy's name in Toxiproxy's API. */
const PROXY = "postgres";
/** Jitter is drawn from Toxiproxy's random source: seeded, like the reference service's. */
const SEED = 1;

/**
 * Toxiproxy (the `toxiproxy` catalog image) between every service instance and
 * PostgreSQL: one TCP proxy, listening on 5432 on the platform's network, whose
 * upstream is the database's address as the services knew it (on Docker the
 * `db` alias, resolved at every new connection; on kind the container's IP).
 * The Database handed back is the one given, except that its serviceUrl
 * points at the proxy, so every instance deployed with it connects through
 * the proxy, and that it carries the proxy, for the network faults to act on.
 * The harness's own connection (harnessUrl) stays direct.
 *
 * The container's removal is registered on the run's teardown before it starts.
 */
export async function startDatabaseProxy(
  ctx: PlatformContext,
  database: Database,
  options: {
    name: string;
    network: string;
    /** A network alias for the services to reach it by; without one, its IP on the network. */
    alias?: string;
    start: (run: () => Promise<StartedTestContainer>) => Promise<StartedTestContainer>;
    logTo: (stream: Readable) => void;
  },
): Promise<Database> {
  configureTestcontainers();
  const { name, network } = options;
  const upstream = new URL(database.serviceUrl);
  ctx.teardown.add(`remove the database proxy ${name}`, async () => {
    const removed = await docker()
      .getContainer(name)
      .remove({ force: true })
      .then(
        () => true,
        (e: { statusCode?: number }) => {
          if (e.statusCode === 404) return false;
          throw e;
        },
      );
    if (removed) ctx.emit({ type: "resource.removed", kind: "container", role: "database-proxy", name });
  });
  const image = await ctx.images.ensure("toxiproxy");
  const container = await options.start(() => {
    let c = new GenericContainer(image.ref)
      .withName(name)
      .withCommand(["-host=0.0.0.0", `-seed=${SEED}`])
      .withExposedPorts(TOXIPROXY_API_PORT)
      .withNetworkMode(network)
      .withLabels(runLabels(ctx.runId, "database-proxy"))
      .withLogConsumer(options.logTo)
      .withWaitStrategy(Wait.forHttp("/version", TOXIPROXY_API_PORT).forStatusCode(200))
      .withStartupTimeout(30_000);
    if (options.alias) c = c.withNetworkAliases(options.alias);
    return c.start();
  });
  const api = new ToxiproxyApi(`http://${container.getHost()}:${container.getMappedPort(TOXIPROXY_API_PORT)}`, name);
  await api.call("POST", "/proxies", { name: PROXY, listen: `0.0.0.0:${LISTEN_PORT}`, upstream: `${upstream.hostname}:${upstream.port || LISTEN_PORT}`, enabled: true });

  let host = options.alias;
  if (!host) {
    const info = await docker().getContainer(container.getId()).inspect();
    host = info.NetworkSettings.Networks[network]?.IPAddress;
    if (!host) throw new HarnessError("CONTAINER_FAILED", `database proxy container ${name} has no address on network ${network}`);
  }
  const proxied = new URL(database.serviceUrl);
  proxied.hostname = host;
  proxied.port = String(LISTEN_PORT);

  const proxy = new ToxiproxyDatabaseProxy(api, name);
  return {
    name: database.name,
    serviceUrl: proxied.toString(),
    proxy,
    harnessUrl: () => database.harnessUrl(),
    pause: () => database.pause(),
    unpause: () => database.unpause(),
    stop: () => database.stop(),
    start: () => database.start(),
    exec: (command, io) => database.exec(command, io),
    destroy: () => database.destroy(),
  };
}

/** The proxy through Toxiproxy's HTTP API. A cut holds while any cut holds: the proxy is enabled again when the last one is undone. */
class ToxiproxyDatabaseProxy implements DatabaseProxy {
  private cuts = 0;

  constructor(
    private readonly api: ToxiproxyApi,
    readonly name: string,
  ) {}

  async addToxic(toxic: Toxic): Promise<void> {
    await this.api.call("POST", `/proxies/${PROXY}/toxics`, toxic);
  }

  async removeToxic(name: string): Promise<void> {
    await this.api.call("DELETE", `/proxies/${PROXY}/toxics/${encodeURIComponent(name)}`, undefined, { missingIsFine: true });
  }

  async cut(): Promise<void> {
    this.cuts++;
    if (this.cuts === 1) await this.setEnabled(false);
  }

  async restore(): Promise<void> {
    if (this.cuts === 0) return;
    this.cuts--;
    if (this.cuts === 0) await this.setEnabled(true);
  }

  async toxics(): Promise<Toxic[]> {
    return (await this.api.call("GET", `/proxies/${PROXY}/toxics`)) as Toxic[];
  }

  private async setEnabled(enabled: boolean): Promise<void> {
    await this.api.call("POST", `/proxies/${PROXY}`, { enabled });
  }
}

class ToxiproxyApi {
  constructor(
    private readonly baseUrl: string,
    private readonly container: string,
  ) {}

  async call(method: "GET" | "POST" | "DELETE", path: string, body?: unknown, options: { missingIsFine?: boolean } = {}): Promise<unknown> {
    const what = `${method} ${path} on the database proxy ${this.container}`;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
    } catch (e) {
      throw new HarnessError("CONTAINER_FAILED", `${what} failed: ${errorMessage(e)}`, { hint: `is the container still running? its log is in the run folder's logs/${this.container}.log`, cause: e });
    }
    const text = await res.text();
    if (res.status === 404 && options.missingIsFine) return undefined;
    if (!res.ok) throw new HarnessError("CONTAINER_FAILED", `${what} answered ${res.status}: ${text.slice(0, 300)}`);
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  }
}
