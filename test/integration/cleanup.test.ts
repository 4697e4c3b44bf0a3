// lane: alone (a forced sweep removes every live run's containers: nothing else may run beside it)
import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { sweep } from "../../harness/cleanup/sweep.js";
import { LABEL, PROJECT, newRunId } from "../../harness/common/labels.js";
import { identityOf, processStart } from "../../harness/common/process-identity.js";
import { docker } from "../../harness/engine/docker.js";

// `npm run clean` sweeps everything with the project's label, except what a live harness process still owns.
const runId = newRunId("test-cleanup");
const owner = spawn("sleep", ["120"], { stdio: "ignore" });

async function container(ownerId: string): Promise<string> {
  const c = await docker().createContainer({
    Image: "deploy-gameday/base:bookworm",
    Cmd: ["sleep", "120"],
    Labels: { [LABEL.project]: PROJECT, [LABEL.runId]: runId, [LABEL.ownerPid]: ownerId },
  });
  await c.start();
  return c.id;
}

const exists = async (id: string) => (await docker().listContainers({ all: true, filters: { id: [id] } })).length === 1;

afterAll(async () => {
  owner.kill("SIGKILL");
  await sweep(runId);
});

describe("sweep", () => {
  it("leaves a live run's containers alone when sweeping everything, and removes them once their owner is gone", async () => {
    const live = await container(identityOf(owner.pid!));
    const orphan = await container(String(2 ** 22 + 12345)); // no such pid
    // The live process's pid with another start time: a dead run whose pid the kernel gave to someone else.
    const reused = await container(`${owner.pid!}-${Number(processStart(owner.pid!)) + 1}`);
    const first = await sweep();
    expect(await exists(orphan)).toBe(false);
    expect(await exists(reused)).toBe(false);
    expect(await exists(live)).toBe(true);
    expect(first.skippedLiveRuns).toContain(runId);
    owner.kill("SIGKILL");
    await new Promise((r) => owner.once("exit", r));
    await sweep();
    expect(await exists(live)).toBe(false);
  });

  it("removes a live run's containers when asked for that run, or forced", async () => {
    const other = spawn("sleep", ["120"], { stdio: "ignore" });
    try {
      const a = await container(identityOf(other.pid!));
      await sweep(undefined, undefined, { includeLiveRuns: true });
      expect(await exists(a)).toBe(false);
      const b = await container(identityOf(other.pid!));
      await sweep(runId);
      expect(await exists(b)).toBe(false);
    } finally {
      other.kill("SIGKILL");
    }
  });
});
