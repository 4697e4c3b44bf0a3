import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { systemClock } from "../common/clock.js";
import { ROOT } from "../common/paths.js";
import type { Database, DeploySpec, Platform, Service } from "../platforms/platform.js";
import { loadScenario } from "../scenario/load-scenario.js";
import { provision } from "./provision.js";

/** A platform that records what provisioning asks of it; its services have no instances, so nothing is waited for. */
function recordingPlatform() {
  const calls: string[] = [];
  const direct = { serviceUrl: "postgres://u:p@db:5432/x" } as Database;
  const proxied = { serviceUrl: "postgres://u:p@db-proxy:5432/x" } as Database;
  const deployedWith: Array<Database | undefined> = [];
  const platform = {
    name: "docker",
    operations: {},
    startDatabase: async () => {
      calls.push("startDatabase");
      return direct;
    },
    startDatabaseProxy: async (db: Database) => {
      calls.push(`startDatabaseProxy ${db.serviceUrl}`);
      return proxied;
    },
    deploy: async (spec: DeploySpec): Promise<Service> => {
      calls.push(`deploy ${spec.role}`);
      deployedWith.push(spec.database);
      return { role: spec.role, version: spec.version, instances: [] };
    },
  } as unknown as Platform;
  return { platform, calls, direct, proxied, deployedWith };
}

const scenario = (name: string) => loadScenario(join(ROOT, "scenarios", `${name}.yaml`));

describe("provision and the database proxy", () => {
  it("puts the proxy in front of the database when a step's fault acts on the connections, and deploys every version against it", async () => {
    const { platform, calls, proxied, deployedWith } = recordingPlatform();
    const { database } = await provision(scenario("database-network"), platform, { clock: systemClock, signal: new AbortController().signal, seed: 1 });
    expect(calls).toEqual(["startDatabase", "startDatabaseProxy postgres://u:p@db:5432/x", "deploy stable"]);
    expect(database).toBe(proxied);
    expect(deployedWith).toEqual([proxied]);
  });

  it("starts no proxy for faults on the database itself", async () => {
    const { platform, calls, direct } = recordingPlatform();
    const { database } = await provision(scenario("health-endpoints"), platform, { clock: systemClock, signal: new AbortController().signal, seed: 1 });
    expect(calls).toEqual(["startDatabase", "deploy stable"]);
    expect(database).toBe(direct);
  });
});

describe("provision, roles at once", () => {
  /** deploy() that takes a while and records how many were in flight at most. */
  function slowPlatform(concurrently: boolean) {
    let inFlight = 0;
    let most = 0;
    const seeds: Record<string, number> = {};
    const platform = {
      name: "docker",
      operations: {},
      deploysConcurrently: concurrently,
      startDatabase: async () => ({ serviceUrl: "postgres://u:p@db:5432/x" }) as Database,
      deploy: async (spec: DeploySpec): Promise<Service> => {
        most = Math.max(most, ++inFlight);
        seeds[spec.role] = spec.seed!;
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return { role: spec.role, version: spec.version, instances: [] };
      },
    } as unknown as Platform;
    return { platform, most: () => most, seeds };
  }

  it("deploys every role at once where the platform allows it, each with its own seeds, in the scenario's order", async () => {
    const p = slowPlatform(true);
    const { services } = await provision(scenario("canary-fail"), p.platform, { clock: systemClock, signal: new AbortController().signal, seed: 5 });
    expect(p.most()).toBe(2);
    expect([...services.keys()]).toEqual(["stable", "candidate"]);
    expect(p.seeds).toEqual({ stable: 5, candidate: 1005 });
  });

  it("deploys one role after the other where it does not", async () => {
    const p = slowPlatform(false);
    await provision(scenario("canary-fail"), p.platform, { clock: systemClock, signal: new AbortController().signal, seed: 5 });
    expect(p.most()).toBe(1);
  });
});
