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
