import { connect } from "node:net";
import { waitFor } from "../common/clock.js";
import { HarnessError } from "../common/errors.js";
import type { InstanceGate } from "../platforms/platform.js";
import type { Router } from "./router.js";
import { serverWeights, sharesFromWeights, type ServerRef, type Shares } from "./weights.js";

export const HAPROXY_PORTS = { traffic: 8080, runtime: 9999, metrics: 8404 } as const;
const BACKEND = "app";

export interface Backend extends ServerRef {
  /** host:port on the router's network, e.g. stable-0:8000. */
  address: string;
}

/** haproxy.cfg for a router in front of the given servers, all traffic on `initial` shares. */
export function haproxyConfig(backends: readonly Backend[], initial: Shares, options: { resolver?: string } = {}): string {
  const weights = serverWeights(initial, backends);
  // With a resolver, server names are looked up again every second: an instance replaced under the same name is found again.
  const resolve = options.resolver ? " resolvers platform resolve-prefer ipv4" : "";
  const resolvers = options.resolver
    ? ["resolvers platform", `  nameserver dns ${options.resolver}`, "  hold valid 1s", "  hold obsolete 1s", "  timeout resolve 250ms", "  timeout retry 250ms", ""]
    : [];
  return [
    "global",
    `  stats socket ipv4@0.0.0.0:${HAPROXY_PORTS.runtime} level admin`,
    "  log stdout format raw local0 info",
    "  maxconn 4096",
    "",
    "defaults",
    "  mode http",
    "  log global",
    "  option httplog",
    "  timeout connect 2s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  timeout http-keep-alive 10s",
    "",
    ...resolvers,
    "frontend traffic",
    `  bind :${HAPROXY_PORTS.traffic}`,
    // The load generator (Go's client) keeps idle connections with no timeout of its own. A router that
    // closes one races the next request sent on it, and Go resends only idempotent ones: a POST would fail
    // with EOF, the router's doing, not the service's. So the router never closes an idle client first.
    "  timeout client 1h",
    "  timeout http-keep-alive 1h",
    `  default_backend ${BACKEND}`,
    "",
    "frontend metrics",
    `  bind :${HAPROXY_PORTS.metrics}`,
    "  http-request use-service prometheus-exporter if { path /metrics }",
    "  http-request return status 200 content-type text/plain string ok if { path /healthz }",
    "",
    `backend ${BACKEND}`,
    "  balance roundrobin",
    "  option http-keep-alive",
    ...backends.map((b) => `  server ${b.server} ${b.address} weight ${weights[b.server]} init-addr last,libc,none${resolve}`),
    "",
  ].join("\n");
}

/** HAProxy's runtime API over TCP: one command per connection. */
export async function runtimeCommand(host: string, port: number, command: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let out = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new HarnessError("TIMEOUT", `HAProxy runtime API did not answer "${command}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", () => socket.end(`${command}\n`));
    socket.on("data", (d) => (out += d.toString()));
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(new HarnessError("CONTAINER_FAILED", `HAProxy runtime API at ${host}:${port}: ${e.message}`));
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** Per-server user weights from `show servers state`. */
export function parseServersState(text: string, backend = BACKEND): Record<string, number> {
  const lines = text.split("\n").map((l) => l.trim());
  const header = lines.find((l) => l.startsWith("# be_id"));
  if (!header) throw new Error(`unexpected "show servers state" output: ${text.slice(0, 200)}`);
  const cols = header.slice(2).split(/\s+/);
  const iName = cols.indexOf("be_name");
  const iSrv = cols.indexOf("srv_name");
  const iWeight = cols.indexOf("srv_uweight");
  const weights: Record<string, number> = {};
  for (const l of lines) {
    if (l === "" || l.startsWith("#") || /^\d+$/.test(l)) continue;
    const f = l.split(/\s+/);
    if (f[iName] === backend) weights[f[iSrv]!] = Number(f[iWeight]);
  }
  return weights;
}

/** Requests a server has in flight (current sessions and queued ones), by server, from `show stat`'s CSV. */
export function inFlight(statCsv: string, backend = BACKEND): Record<string, number> {
  const lines = statCsv.split("\n").filter((l) => l.trim() !== "");
  const header = lines[0]?.replace(/^#\s*/, "").split(",");
  if (!header?.includes("scur")) throw new Error(`unexpected "show stat" output: ${statCsv.slice(0, 200)}`);
  const col = (name: string) => header.indexOf(name);
  const out: Record<string, number> = {};
  for (const line of lines.slice(1)) {
    const f = line.split(",");
    const server = f[col("svname")]!;
    if (f[col("pxname")] !== backend || server === "BACKEND" || server === "FRONTEND") continue;
    out[server] = Number(f[col("scur")] || 0) + Number(f[col("qcur")] || 0);
  }
  return out;
}

/** HAProxy as the router: weights set and read through its runtime API; the gate of a rolling replacement behind it. */
export class HaproxyRouter implements Router, InstanceGate {
  readonly name = "haproxy";

  constructor(
    readonly baseUrl: string,
    private readonly runtime: { host: string; port: number },
    private readonly backends: readonly Backend[],
    /** host:port of its Prometheus exporter on the platform's network. */
    readonly metricsAddress?: string,
  ) {}

  async setShares(shares: Shares): Promise<void> {
    const weights = serverWeights(shares, this.backends);
    // Raise the new weights before lowering the old ones, so no instant has every weight at 0.
    const order = [...this.backends].sort((a, b) => (weights[b.server] ?? 0) - (weights[a.server] ?? 0));
    for (const b of order) {
      const reply = await runtimeCommand(this.runtime.host, this.runtime.port, `set weight ${BACKEND}/${b.server} ${weights[b.server]}`);
      if (reply.trim() !== "") throw new HarnessError("CONTAINER_FAILED", `HAProxy refused weight ${weights[b.server]} for ${b.server}: ${reply.trim()}`);
    }
  }

  async readWeights(): Promise<Record<string, number>> {
    return parseServersState(await runtimeCommand(this.runtime.host, this.runtime.port, `show servers state ${BACKEND}`));
  }

  /** Maintenance mode (no new request; those in flight finish), then wait until the server has none in flight. */
  async drain(server: string): Promise<void> {
    await this.command(`set server ${BACKEND}/${server} state maint`);
    await waitFor(async () => ((inFlight(await this.command("show stat")))[server] === 0 ? true : undefined), {
      description: `HAProxy to finish the requests in flight to ${server}`,
      timeoutMs: 30_000,
      intervalMs: 50,
      hint: "a request the service never answers holds it: the load's timeout bounds how long",
    });
  }

  /** The server's new address, then back in the rotation. */
  async readmit(server: string, address: string): Promise<void> {
    const [ip, port] = address.split(":");
    await this.command(`set server ${BACKEND}/${server} addr ${ip} port ${port}`, /^IP changed|no need to change|^$/);
    await this.command(`set server ${BACKEND}/${server} state ready`);
  }

  /** One runtime API command; an answer that is not what the command answers on success is an error. */
  private async command(command: string, ok: RegExp = /^$/): Promise<string> {
    const reply = await runtimeCommand(this.runtime.host, this.runtime.port, command);
    if (command.startsWith("show ")) return reply;
    if (!ok.test(reply.trim())) throw new HarnessError("CONTAINER_FAILED", `HAProxy refused "${command}": ${reply.trim()}`);
    return reply;
  }

  async readShares(): Promise<Shares> {
    return sharesFromWeights(await this.readWeights(), this.backends);
  }
}
