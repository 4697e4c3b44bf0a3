import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock, waitFor } from "../../harness/common/clock.js";
import { LABEL } from "../../harness/common/labels.js";
import { docker } from "../../harness/engine/docker.js";
import type { Fault } from "../../harness/faults/fault.js";
import { faultType } from "../../harness/faults/registry.js";
import { DockerPlatform } from "../../harness/platforms/docker/docker-platform.js";
import type { Database, Service } from "../../harness/platforms/platform.js";
import { httpGet } from "../../harness/probes/http-probe.js";
import { testContext } from "../support/context.js";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("kill-fault", 0.4); // its own containers

// The kill fault on the Docker platform, against real containers of the reference service: SIGKILL, no restart, undo brings it back.
const ctx = testContext("kill-fault");
const platform = new DockerPlatform(ctx);
let db: Database;
let stable: Service;
let fault: Fault;

const statusOf = async (baseUrl: string, path: string) => (await httpGet(`${baseUrl}${path}`, { timeoutMs: 2000 })).status;

async function containersOfRun(): Promise<Array<{ name: string; state: string }>> {
  const list = await docker().listContainers({ all: true, filters: { label: [`${LABEL.runId}=${ctx.runId}`, `${LABEL.role}=stable`] } });
  return list.map((c) => ({ name: c.Names[0]!.replace(/^\//, ""), state: c.State })).sort((a, b) => (a.name < b.name ? -1 : 1));
}

beforeAll(async () => {
  db = await platform.startDatabase();
  stable = await platform.deploy({ role: "stable", version: "good-1", replicas: 2, faults: {}, database: db });
  for (const i of stable.instances) {
    await waitFor(async () => ((await statusOf(i.baseUrl, "/ready")) === 200 ? true : undefined), { description: `${i.name} ready`, timeoutMs: 30_000 });
  }
  fault = faultType("kill")!.create({ type: "kill", role: "stable", instance: 1 } as never, { platform, database: db, services: new Map([["stable", stable]]) });
}, 120_000);

afterAll(async () => {
  await ctx.dispose();
  // Nothing left behind: no container of the run, killed or replacement.
  expect(await docker().listContainers({ all: true, filters: { label: [`${LABEL.runId}=${ctx.runId}`] } })).toEqual([]);
}, 120_000);

describe("the kill fault on Docker", () => {
  it("kills one instance with SIGKILL: it stops answering and Docker does not restart it; the others answer on", async () => {
    const [zero, one] = stable.instances;
    const detail = await fault.inject();
    expect(detail).toBe(`container ${one!.name} killed (SIGKILL); Docker does not restart it: undone by starting it again`);
    expect(await statusOf(one!.baseUrl, "/health")).toBeNull();
    const killed = await docker().getContainer(one!.name).inspect();
    expect(killed.State.Running).toBe(false);
    expect(killed.State.ExitCode).toBe(137);
    expect(killed.HostConfig.RestartPolicy?.Name ?? "").toMatch(/^(no)?$/);
    // Still down a while later: nothing restarts it.
    await systemClock.sleep(2000);
    expect(await statusOf(one!.baseUrl, "/health")).toBeNull();
    expect(await statusOf(zero!.baseUrl, "/health")).toBe(200);
  }, 60_000);

  it("is undone by starting the instance again: same name and address, /ready 200, the killed container gone", async () => {
    const one = stable.instances[1]!;
    await fault.undo();
    expect(await statusOf(one.baseUrl, "/ready")).toBe(200);
    expect(await statusOf(one.baseUrl, "/health")).toBe(200);
    expect(await containersOfRun()).toEqual([
      { name: stable.instances[0]!.name, state: "running" },
      { name: one.name, state: "running" },
    ]);
    // A second undo (the end of the run after an undo step) has nothing to do.
    await fault.undo();
    expect(await statusOf(one.baseUrl, "/ready")).toBe(200);
  }, 120_000);

  it("refuses an instance the role does not have, naming the ones it has", async () => {
    const wrong = faultType("kill")!.create({ type: "kill", role: "stable", instance: 5 } as never, { platform, database: db, services: new Map([["stable", stable]]) });
    await expect(wrong.inject()).rejects.toMatchObject({ code: "SCENARIO_INVALID", message: expect.stringContaining("stable has no instance 5: it has 2 (0 to 1)") });
  });
});
