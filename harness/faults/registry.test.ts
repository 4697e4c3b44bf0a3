import { describe, expect, it } from "vitest";
import { constructedPlatforms } from "../../test/support/platforms.js";
import { PLATFORMS } from "../model/platform-name.js";
import type { InstanceFault, KilledInstance, Platform, Service, Stress } from "../platforms/platform.js";
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

  it("reads a partition with its peer, instance 0 when left out; a peer that is a part of the run is not a role", () => {
    const partition = faultType("partition")!;
    expect(partition.schema.parse({ type: "partition", role: "stable", from: "database" })).toEqual({ type: "partition", role: "stable", instance: 0, from: "database" });
    expect(partition.roles(partition.schema.parse({ type: "partition", role: "stable", from: "database" }))).toEqual(["stable"]);
    expect(partition.roles(partition.schema.parse({ type: "partition", role: "stable", instance: 1, from: "router" }))).toEqual(["stable"]);
    expect(partition.roles(partition.schema.parse({ type: "partition", role: "stable", from: "candidate" }))).toEqual(["stable", "candidate"]);
    expect(partition.schema.safeParse({ type: "partition", role: "stable" }).success).toBe(false);
    expect(partition.schema.safeParse({ type: "partition", role: "stable", from: "db; reboot" }).success).toBe(false);
  });

  it("reads cpu-stress and memory-pressure with their defaults, and refuses a memory limit that is not a quantity", () => {
    expect(faultType("cpu-stress")!.schema.parse({ type: "cpu-stress", role: "stable" })).toEqual({ type: "cpu-stress", role: "stable", instance: 0, workers: 4, load: 100 });
    expect(faultType("cpu-stress")!.schema.safeParse({ type: "cpu-stress", role: "stable", load: 0 }).success).toBe(false);
    const memory = faultType("memory-pressure")!;
    expect(memory.schema.parse({ type: "memory-pressure", role: "stable" })).toEqual({ type: "memory-pressure", role: "stable", instance: 0, fill: 100, limit: "256Mi" });
    expect(memory.schema.parse({ type: "memory-pressure", role: "stable", fill: 80, limit: "1Gi" })).toMatchObject({ fill: 80, limit: "1Gi" });
    expect(memory.schema.safeParse({ type: "memory-pressure", role: "stable", limit: "lots" }).success).toBe(false);
    expect(memory.schema.safeParse({ type: "memory-pressure", role: "stable", limit: "1Mi" }).success).toBe(false);
    expect(memory.schema.safeParse({ type: "memory-pressure", role: "stable", fill: 0 }).success).toBe(false);
  });

  it("partitions and stresses through the platform's operations, and undoes through what they handed back, once", async () => {
    const calls: string[] = [];
    const handed = (what: string): InstanceFault => ({ detail: what, undo: async () => void calls.push(`undo ${what}`) });
    const platform = {
      name: "kind",
      operations: {
        partitionInstance: async (role: string, index: number, peer: string) => (calls.push(`partition ${role} ${index} ${peer}`), handed("cut")),
        stressInstance: async (role: string, index: number, stress: Stress) => (calls.push(`stress ${role} ${index} ${JSON.stringify(stress)}`), handed(stress.kind)),
      },
    } as unknown as Platform;
    const target = { platform, database: undefined, services: new Map([["stable", stable]]) };
    const specs = [
      { type: "partition", role: "stable", instance: 1, from: "database" },
      { type: "cpu-stress", role: "stable", instance: 0, workers: 2, load: 50 },
      { type: "memory-pressure", role: "stable", instance: 0, fill: 100, limit: "256Mi" },
    ];
    for (const spec of specs) {
      const fault = faultType(spec.type)!.create(spec as never, target);
      expect(fault.target).toBe(`stable-${spec.instance}`);
      await fault.inject();
      await fault.undo();
      await fault.undo();
    }
    expect(calls).toEqual([
      "partition stable 1 database",
      "undo cut",
      'stress stable 0 {"kind":"cpu","workers":2,"load":50}',
      "undo cpu",
      `stress stable 0 {"kind":"memory","fill":100,"limitBytes":${256 * 2 ** 20}}`,
      "undo memory",
    ]);
  });

  it("refuses the instance faults on a platform without their operations, and a role that is not deployed", () => {
    const none = { name: "docker", operations: {} } as unknown as Platform;
    const target = { platform: none, database: undefined, services: new Map([["stable", stable]]) };
    expect(() => faultType("partition")!.create({ type: "partition", role: "stable", instance: 0, from: "database" } as never, target)).toThrow(/partition fault is not implemented on the docker platform/);
    expect(() => faultType("cpu-stress")!.create({ type: "cpu-stress", role: "stable", instance: 0, workers: 1, load: 100 } as never, target)).toThrow(/cpu-stress fault is not implemented/);
    const some = { name: "docker", operations: { stressInstance: async () => handedNothing } } as unknown as Platform;
    expect(() => faultType("cpu-stress")!.create({ type: "cpu-stress", role: "canary", instance: 0, workers: 1, load: 100 } as never, { ...target, platform: some })).toThrow(/names role "canary", which is not deployed/);
  });
});

const handedNothing: InstanceFault = { detail: "", undo: async () => undefined };
