import { z } from "zod";
import { HarnessError } from "../common/errors.js";
import type { DatabaseProxy, Toxic } from "../platforms/platform.js";
import { defineFault, type Fault, type FaultTarget } from "./fault.js";

/**
 * Network faults between every service instance and PostgreSQL, through a
 * real TCP fault proxy (Toxiproxy, see harness/platforms/database-proxy.ts):
 * this kernel has no netem qdisc, and a proxy acts on the connections only,
 * not on the harness's own way to the database. Each fault declares
 * `needsDatabaseProxy`, so provisioning puts the proxy in front of the
 * database when any step asks for one of them. Times and sizes here are wall
 * time and bytes on the wire: the run's time scale does not change them.
 */

/** The share of connections a toxic applies to (Toxiproxy's toxicity), drawn per connection; 1 when left out. */
const toxicity = z.number().min(0).max(1).default(1);

const TARGET = "database-connections";

let toxics = 0;
/** A toxic's name, unique in the process: two faults of a kind may be on the proxy at once. */
function toxicName(type: string): string {
  toxics++;
  return `${type}-${toxics}`;
}

function proxyOf(target: FaultTarget, type: string): DatabaseProxy {
  if (!target.database) {
    throw new HarnessError("SCENARIO_INVALID", `fault ${type} needs the database, but the scenario sets database: false`, { hint: "remove database: false from the scenario" });
  }
  if (!target.database.proxy) {
    throw new HarnessError("INTERNAL", `fault ${type} acts through the database proxy, and this run started none`, {
      hint: "provisioning starts it when a step's fault declares needsDatabaseProxy; a Database from startDatabase() alone has no proxy",
    });
  }
  return target.database.proxy;
}

/** A fault that is one toxic on the proxy: added on inject, removed on undo (once; a toxic already gone is fine). */
function toxicFault(type: string, proxy: DatabaseProxy, toxic: Toxic, detail: string): Fault {
  let added = false;
  return {
    name: type,
    target: TARGET,
    inject: async () => {
      await proxy.addToxic(toxic);
      added = true;
      return `${detail}${toxic.toxicity < 1 ? ` on ${Math.round(toxic.toxicity * 100)}% of connections` : ""} (toxiproxy ${toxic.type} ${toxic.stream}, through ${proxy.name})`;
    },
    undo: async () => {
      if (!added) return;
      await proxy.removeToxic(toxic.name);
      added = false;
    },
  };
}

export const databaseLatencySchema = z
  .object({ type: z.literal("database-latency"), latencyMs: z.number().int().min(1), jitterMs: z.number().int().min(0).default(0), toxicity })
  .strict()
  .refine((s) => s.jitterMs <= s.latencyMs, { path: ["jitterMs"], message: "must be at most latencyMs: each answer is delayed latencyMs ± jitterMs" });

/** Every answer from PostgreSQL arrives latencyMs ± jitterMs later: each query's round trip grows by that much. */
export function latencyToxic(name: string, spec: z.infer<typeof databaseLatencySchema>): Toxic {
  return { name, type: "latency", stream: "downstream", toxicity: spec.toxicity, attributes: { latency: spec.latencyMs, jitter: spec.jitterMs } };
}

export const databaseBandwidthSchema = z.object({ type: z.literal("database-bandwidth"), rateKBps: z.number().int().min(1), toxicity }).strict();

/** Answers from PostgreSQL flow at most rateKBps kilobytes a second on each connection. */
export function bandwidthToxic(name: string, spec: z.infer<typeof databaseBandwidthSchema>): Toxic {
  return { name, type: "bandwidth", stream: "downstream", toxicity: spec.toxicity, attributes: { rate: spec.rateKBps } };
}

export const databaseResetSchema = z.object({ type: z.literal("database-reset"), afterMs: z.number().int().min(0).default(0), toxicity }).strict();

/** A connection that sends anything (a query, a new connection's startup) is reset (TCP RST) afterMs later. */
export function resetToxic(name: string, spec: z.infer<typeof databaseResetSchema>): Toxic {
  return { name, type: "reset_peer", stream: "upstream", toxicity: spec.toxicity, attributes: { timeout: spec.afterMs } };
}

export const databaseTimeoutSchema = z.object({ type: z.literal("database-timeout"), timeoutMs: z.number().int().min(0).default(0), toxicity }).strict();

/** Nothing the services send reaches PostgreSQL; each connection is closed timeoutMs later (0: held open, silent, until undone). */
export function timeoutToxic(name: string, spec: z.infer<typeof databaseTimeoutSchema>): Toxic {
  return { name, type: "timeout", stream: "upstream", toxicity: spec.toxicity, attributes: { timeout: spec.timeoutMs } };
}

export const databaseLatency = defineFault({
  type: "database-latency",
  summary: "delay every answer from PostgreSQL to the services by latencyMs ± jitterMs (a TCP proxy between them)",
  schema: databaseLatencySchema,
  platforms: ["docker", "kind"],
  needsDatabase: true,
  needsDatabaseProxy: true,
  roles: () => [],
  create: (spec, target) =>
    toxicFault("database-latency", proxyOf(target, "database-latency"), latencyToxic(toxicName("latency"), spec), `answers from PostgreSQL delayed ${spec.latencyMs}${spec.jitterMs ? `±${spec.jitterMs}` : ""} ms`),
});

export const databaseBandwidth = defineFault({
  type: "database-bandwidth",
  summary: "limit answers from PostgreSQL to the services to rateKBps kilobytes a second per connection (a TCP proxy between them)",
  schema: databaseBandwidthSchema,
  platforms: ["docker", "kind"],
  needsDatabase: true,
  needsDatabaseProxy: true,
  roles: () => [],
  create: (spec, target) =>
    toxicFault("database-bandwidth", proxyOf(target, "database-bandwidth"), bandwidthToxic(toxicName("bandwidth"), spec), `answers from PostgreSQL limited to ${spec.rateKBps} KB/s per connection`),
});

export const databaseReset = defineFault({
  type: "database-reset",
  summary: "reset (TCP RST) every connection from the services to PostgreSQL as soon as it sends, afterMs later",
  schema: databaseResetSchema,
  platforms: ["docker", "kind"],
  needsDatabase: true,
  needsDatabaseProxy: true,
  roles: () => [],
  create: (spec, target) =>
    toxicFault("database-reset", proxyOf(target, "database-reset"), resetToxic(toxicName("reset"), spec), `connections to PostgreSQL reset ${spec.afterMs} ms after they send`),
});

export const databaseTimeout = defineFault({
  type: "database-timeout",
  summary: "drop everything the services send to PostgreSQL, so their queries time out; each connection closed after timeoutMs (0: held open)",
  schema: databaseTimeoutSchema,
  platforms: ["docker", "kind"],
  needsDatabase: true,
  needsDatabaseProxy: true,
  roles: () => [],
  create: (spec, target) =>
    toxicFault(
      "database-timeout",
      proxyOf(target, "database-timeout"),
      timeoutToxic(toxicName("timeout"), spec),
      `nothing sent to PostgreSQL arrives; ${spec.timeoutMs > 0 ? `connections closed after ${spec.timeoutMs} ms` : "connections held open"}`,
    ),
});

export const databaseCut = defineFault({
  type: "database-cut",
  summary: "cut the network between the services and PostgreSQL: open connections are closed and new ones refused",
  schema: z.object({ type: z.literal("database-cut") }).strict(),
  platforms: ["docker", "kind"],
  needsDatabase: true,
  needsDatabaseProxy: true,
  roles: () => [],
  create: (_spec, target) => {
    const proxy = proxyOf(target, "database-cut");
    let cut = false;
    return {
      name: "database-cut",
      target: TARGET,
      inject: async () => {
        await proxy.cut();
        cut = true;
        return `every connection to PostgreSQL closed, new ones refused (toxiproxy proxy disabled, ${proxy.name})`;
      },
      undo: async () => {
        if (!cut) return;
        await proxy.restore();
        cut = false;
      },
    };
  },
});

export const DATABASE_NETWORK_FAULTS = [databaseLatency, databaseBandwidth, databaseReset, databaseTimeout, databaseCut] as const;
