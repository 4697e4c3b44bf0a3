import { describe, expect, it } from "vitest";
import { constructedPlatforms } from "../../test/support/platforms.js";
import { PLATFORMS, type PlatformName } from "../model/platform-name.js";
import type { KilledInstance, Platform, PlatformContext, Service } from "../platforms/platform.js";
import { FAULTS, FAULT_TYPES, faultType } from "./registry.js";


const stable: Service = { role: "stable", version: "good-1", instances: [] };

describe("the fault registry", () => {
  it("names each fault once, and finds it by type", () => {
    expect(new Set(FAULT_TYPES).size).toBe(FAULTS.length);
    for (const f of FAULTS) expect(faultType(f.type)).toBe(f);
    expect(faultType("no-such-fault")).toBeUndefined();
  });

  it("lists for each fault that uses a platform operation exactly the platforms that implement it", () => {
    const all = constructedPlatforms("test-faults");
    const withOperation = FAULTS.filter((f) => f.operation !== undefined);
    expect(withOperation.map((f) => f.type)).toContain("kill");
    for (const f of withOperation) {
      const implementing = PLATFORMS.filter((p) => typeof all[p].operations[f.operation!] === "function");
      expect([...f.platforms].sort(), `${f.type} (${f.operation})`).toEqual(implementing.sort());
    }
  });

  it("reads a kill with its instance, 0 when left out, and refuses anything else", () => {
    const kill = faultType("kill")!;
    expect(kill.schema.parse({ type: "kill", role: "candidate" })).toEqual({ type: "kill", role: "candidate", instance: 0 });
    expect(kill.schema.parse({ type: "kill", role: "candidate", instance: 2 })).toEqual({ type: "kill", role: "candidate", instance: 2 });
    expect(kill.schema.safeParse({ type: "kill", role: "candidate", instance: -1 }).success).toBe(false);
    expect(kill.schema.safeParse({ type: "kill", role: "candidate", instance: 1.5 }).success).toBe(false);
    expect(kill.schema.safeParse({ type: "kill" }).success).toBe(false);
    expect(kill.schema.safeParse({ type: "kill", role: "candidate", signal: "TERM" }).success).toBe(false);
  });

  it("kills through the platform's operation and undoes through what it handed back, once", async () => {
    const calls: string[] = [];
    const killed: KilledInstance = { detail: "container x killed (SIGKILL)", restore: async () => void calls.push("restore") };
    const platform = {
      name: "docker",
      operations: {
        killInstance: async (role: string, index: number) => {
          calls.push(`kill ${role} ${index}`);
          return killed;
        },
      },
    } as unknown as Platform;
    const fault = faultType("kill")!.create({ type: "kill", role: "stable", instance: 1 } as never, { platform, database: undefined, services: new Map([["stable", stable]]) });
    expect(fault.target).toBe("stable-1");
    expect(await fault.inject()).toBe("container x killed (SIGKILL)");
    await fault.undo();
    await fault.undo();
    expect(calls).toEqual(["kill stable 1", "restore"]);
  });

  it("refuses a kill on a platform without the operation, naming the platforms that have it", () => {
    const platform = { name: "docker", operations: {} } as unknown as Platform;
    const create = () => faultType("kill")!.create({ type: "kill", role: "stable", instance: 0 } as never, { platform, database: undefined, services: new Map([["stable", stable]]) });
    expect(create).toThrow(/kill fault is not implemented on the docker platform/);
  });
});
