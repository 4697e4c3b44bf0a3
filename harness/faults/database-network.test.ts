import { describe, expect, it } from "vitest";
import { validate } from "../common/problems.js";
import type { Database, DatabaseProxy, Platform, Toxic } from "../platforms/platform.js";
import { bandwidthToxic, DATABASE_NETWORK_FAULTS, databaseLatencySchema, latencyToxic, resetToxic, timeoutToxic } from "./database-network.js";
import { FAULTS, faultType } from "./registry.js";

/** A proxy that records what the faults ask of it, as Toxiproxy's API would see it. */
function fakeProxy() {
  const calls: string[] = [];
  const toxics = new Map<string, Toxic>();
  const proxy: DatabaseProxy = {
    name: "gameday-run-db-proxy",
    addToxic: async (t) => {
      calls.push(`add ${t.name}`);
      toxics.set(t.name, t);
    },
    removeToxic: async (name) => {
      calls.push(`remove ${name}`);
      toxics.delete(name);
    },
    cut: async () => void calls.push("cut"),
    restore: async () => void calls.push("restore"),
    toxics: async () => [...toxics.values()],
  };
  return { proxy, calls, toxics };
}

function targetWith(proxy: DatabaseProxy | undefined) {
  const database = { serviceUrl: "postgres://u:p@db-proxy:5432/x", ...(proxy ? { proxy } : {}) } as unknown as Database;
  return { platform: { name: "docker", operations: {} } as unknown as Platform, database, services: new Map() };
}

const problems = (type: string, spec: unknown) => {
  const r = validate(faultType(type)!.schema, spec);
  return r.ok ? [] : r.problems.map((p) => `${p.path.join(".")} ${p.message}`);
};

describe("the database network faults", () => {
  it("are in the registry, on both platforms, each needing the database and its proxy", () => {
    const types = DATABASE_NETWORK_FAULTS.map((f) => f.type);
    expect(types).toEqual(["database-latency", "database-bandwidth", "database-reset", "database-timeout", "database-cut"]);
    for (const f of DATABASE_NETWORK_FAULTS) {
      expect(FAULTS).toContain(f);
      expect(f.platforms).toEqual(["docker", "kind"]);
      expect(f.needsDatabase).toBe(true);
      expect(f.needsDatabaseProxy).toBe(true);
      expect(f.roles({} as never)).toEqual([]);
    }
    // The faults that act on the database itself need no proxy in front of it.
    expect(faultType("database-pause")!.needsDatabaseProxy).toBeFalsy();
  });

  it("read their settings with defaults: no jitter, every connection, reset and timeout at once", () => {
    expect(faultType("database-latency")!.schema.parse({ type: "database-latency", latencyMs: 200 })).toEqual({ type: "database-latency", latencyMs: 200, jitterMs: 0, toxicity: 1 });
    expect(faultType("database-bandwidth")!.schema.parse({ type: "database-bandwidth", rateKBps: 8, toxicity: 0.5 })).toEqual({ type: "database-bandwidth", rateKBps: 8, toxicity: 0.5 });
    expect(faultType("database-reset")!.schema.parse({ type: "database-reset" })).toEqual({ type: "database-reset", afterMs: 0, toxicity: 1 });
    expect(faultType("database-timeout")!.schema.parse({ type: "database-timeout", timeoutMs: 1500 })).toEqual({ type: "database-timeout", timeoutMs: 1500, toxicity: 1 });
    expect(faultType("database-cut")!.schema.parse({ type: "database-cut" })).toEqual({ type: "database-cut" });
  });

  it("refuse what Toxiproxy could not do, saying what is expected", () => {
    expect(problems("database-latency", { type: "database-latency" })).toEqual(["latencyMs is missing: expected a number"]);
    expect(problems("database-latency", { type: "database-latency", latencyMs: 0 })).toEqual(["latencyMs must be an integer >= 1, got number 0"]);
    expect(problems("database-latency", { type: "database-latency", latencyMs: "200ms" })).toEqual(['latencyMs must be an integer >= 1, got "200ms"']);
    expect(problems("database-latency", { type: "database-latency", latencyMs: 100, jitterMs: 150 })).toEqual(["jitterMs must be at most latencyMs: each answer is delayed latencyMs ± jitterMs"]);
    expect(problems("database-latency", { type: "database-latency", latencyMs: 100, toxicity: 1.5 })).toEqual(["toxicity must be a number >= 0 and <= 1, got number 1.5"]);
    expect(problems("database-bandwidth", { type: "database-bandwidth", rateKBps: 0.5 })).toEqual(["rateKBps must be an integer >= 1, got number 0.5"]);
    expect(problems("database-reset", { type: "database-reset", afterMs: -1 })).toEqual(["afterMs must be an integer >= 0, got number -1"]);
    expect(problems("database-timeout", { type: "database-timeout", timeout: 10 })).toEqual(['timeout is not a known field (did you mean "timeoutMs"?); known fields: type, timeoutMs, toxicity']);
    expect(problems("database-cut", { type: "database-cut", role: "stable" })[0]).toMatch(/^role is not a known field/);
  });

  it("make Toxiproxy's toxics: latency and bandwidth on the answers, reset and timeout on what the services send", () => {
    const latency = databaseLatencySchema.parse({ type: "database-latency", latencyMs: 200, jitterMs: 50 });
    expect(latencyToxic("latency-1", latency)).toEqual({ name: "latency-1", type: "latency", stream: "downstream", toxicity: 1, attributes: { latency: 200, jitter: 50 } });
    expect(bandwidthToxic("bandwidth-1", { type: "database-bandwidth", rateKBps: 4, toxicity: 1 })).toEqual({ name: "bandwidth-1", type: "bandwidth", stream: "downstream", toxicity: 1, attributes: { rate: 4 } });
    expect(resetToxic("reset-1", { type: "database-reset", afterMs: 0, toxicity: 0.25 })).toEqual({ name: "reset-1", type: "reset_peer", stream: "upstream", toxicity: 0.25, attributes: { timeout: 0 } });
    expect(timeoutToxic("timeout-1", { type: "database-timeout", timeoutMs: 0, toxicity: 1 })).toEqual({ name: "timeout-1", type: "timeout", stream: "upstream", toxicity: 1, attributes: { timeout: 0 } });
  });

  it("inject a toxic and undo it once; two faults of a kind have toxics of their own", async () => {
    const { proxy, calls, toxics } = fakeProxy();
    const type = faultType("database-latency")!;
    const spec = type.schema.parse({ type: "database-latency", latencyMs: 300, jitterMs: 100 });
    const a = type.create(spec, targetWith(proxy));
    const b = type.create(spec, targetWith(proxy));
    expect(a.name).toBe("database-latency");
    expect(a.target).toBe("database-connections");
    expect(await a.inject()).toBe("answers from PostgreSQL delayed 300±100 ms (toxiproxy latency downstream, through gameday-run-db-proxy)");
    await b.inject();
    expect(toxics.size).toBe(2);
    await a.undo();
    await a.undo();
    expect(toxics.size).toBe(1);
    await b.undo();
    expect(toxics.size).toBe(0);
    expect(calls.filter((c) => c.startsWith("remove"))).toHaveLength(2);
    // Undo before inject (a fault cancelled before its `at`) touches nothing.
    const c = type.create(spec, targetWith(proxy));
    await c.undo();
    expect(calls).toHaveLength(4);
  });

  it("say in the timeline how much of what, and on how many connections", async () => {
    const { proxy } = fakeProxy();
    const detail = (type: string, spec: object) => faultType(type)!.create(faultType(type)!.schema.parse({ type, ...spec }) as never, targetWith(proxy)).inject();
    expect(await detail("database-bandwidth", { rateKBps: 2 })).toBe("answers from PostgreSQL limited to 2 KB/s per connection (toxiproxy bandwidth downstream, through gameday-run-db-proxy)");
    expect(await detail("database-reset", { toxicity: 0.5 })).toBe("connections to PostgreSQL reset 0 ms after they send on 50% of connections (toxiproxy reset_peer upstream, through gameday-run-db-proxy)");
    expect(await detail("database-timeout", {})).toBe("nothing sent to PostgreSQL arrives; connections held open (toxiproxy timeout upstream, through gameday-run-db-proxy)");
    expect(await detail("database-timeout", { timeoutMs: 2000 })).toBe("nothing sent to PostgreSQL arrives; connections closed after 2000 ms (toxiproxy timeout upstream, through gameday-run-db-proxy)");
  });

  it("cut by disabling the proxy and restore it once", async () => {
    const { proxy, calls } = fakeProxy();
    const cut = faultType("database-cut")!.create({ type: "database-cut" } as never, targetWith(proxy));
    expect(cut.target).toBe("database-connections");
    expect(await cut.inject()).toBe("every connection to PostgreSQL closed, new ones refused (toxiproxy proxy disabled, gameday-run-db-proxy)");
    await cut.undo();
    await cut.undo();
    expect(calls).toEqual(["cut", "restore"]);
  });

  it("refuse a run without the database, and say what went wrong where the proxy is missing", () => {
    const type = faultType("database-cut")!;
    expect(() => type.create({ type: "database-cut" } as never, { ...targetWith(undefined), database: undefined })).toThrow(/needs the database, but the scenario sets database: false/);
    expect(() => type.create({ type: "database-cut" } as never, targetWith(undefined))).toThrow(/acts through the database proxy, and this run started none/);
  });
});
