// lane: alone (the cpu-stress fault runs 8 stress-ng workers with no CPU limit: nothing else may run beside it)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../harness/common/clock.js";
import { LABEL } from "../../harness/common/labels.js";
import { docker } from "../../harness/engine/docker.js";
import type { Fault } from "../../harness/faults/fault.js";
import { faultType } from "../../harness/faults/registry.js";
import { DockerPlatform } from "../../harness/platforms/docker/docker-platform.js";
import type { Database, Service } from "../../harness/platforms/platform.js";
import { streamExec } from "../../harness/platforms/stream-exec.js";
import type { CommandStream } from "../../harness/common/command-stream.js";
import { httpGet } from "../../harness/probes/http-probe.js";
import { testContext } from "../support/context.js";

// The partition, cpu-stress and memory-pressure faults on the Docker platform, against real containers of
// the reference service and PostgreSQL: each one's effect on the service, and that undo takes it away.
const ctx = testContext("instance-faults");
const platform = new DockerPlatform(ctx);
let db: Database;
let stable: Service;

const create = (spec: Record<string, unknown>): Fault => faultType(String(spec.type))!.create(spec as never, { platform, database: db, services: new Map([["stable", stable]]) });
const parse = (spec: Record<string, unknown>) => faultType(String(spec.type))!.schema.parse(spec) as Record<string, unknown>;
const get = (i: number, path: string, timeoutMs = 3000) => httpGet(`${stable.instances[i]!.baseUrl}${path}`, { timeoutMs });
const container = (i: number) => docker().getContainer(stable.instances[i]!.name);

async function readyWithin(i: number, status: number, timeoutMs: number) {
  return waitFor(
    async () => {
      const o = await get(i, "/ready");
      return o.status === status ? o : undefined;
    },
    { description: `${stable.instances[i]!.name} /ready ${status}`, timeoutMs, intervalMs: 200 },
  );
}

/** stress-ng processes in the container, as the engine lists them (docker top). */
async function stressProcesses(i: number): Promise<number> {
  const top = await container(i).top({ ps_args: "-eo pid,comm" });
  return top.Processes.filter((p: string[]) => p.some((f) => f.includes("stress-ng"))).length;
}

/** Median wall time of `n` /health requests, one after another. */
async function medianHealthMs(i: number, n: number): Promise<number> {
  const ms: number[] = [];
  for (let k = 0; k < n; k++) ms.push((await get(i, "/health")).ms);
  return ms.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

/** CPU seconds the container's cgroup used over `ms`. */
async function cpuSecondsOver(i: number, ms: number): Promise<number> {
  const usage = async () => ((await container(i).stats({ stream: false })) as { cpu_stats: { cpu_usage: { total_usage: number } } }).cpu_stats.cpu_usage.total_usage;
  const before = await usage();
  await new Promise((r) => setTimeout(r, ms));
  return ((await usage()) - before) / 1e9;
}

async function output(stream: CommandStream): Promise<string> {
  let out = "";
  stream.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await stream.done;
  return out.trim();
}

beforeAll(async () => {
  db = await platform.startDatabase();
  stable = await platform.deploy({ role: "stable", version: "good-1", replicas: 2, faults: {}, database: db });
  for (let i = 0; i < 2; i++) await readyWithin(i, 200, 30_000);
}, 120_000);

afterAll(async () => {
  await ctx.dispose();
  expect(await docker().listContainers({ all: true, filters: { label: [`${LABEL.runId}=${ctx.runId}`] } })).toEqual([]);
}, 120_000);

describe("the partition fault on Docker", () => {
  it("cuts one instance off from the database: its /ready turns 503 naming the database, the other instance stays ready; undo brings it back", async () => {
    const fault = create(parse({ type: "partition", role: "stable", instance: 0, from: "database" }));
    const detail = await fault.inject();
    expect(detail).toMatch(new RegExp(`^${stable.instances[0]!.name} cut off from database \\(\\d+\\.\\d+\\.\\d+\\.\\d+\\): packets both ways dropped`));
    const unready = await readyWithin(0, 503, 10_000);
    expect(unready.body).toMatchObject({ failing: ["database"] });
    // The other instance still reaches it (waited for: on a busy machine a /ready may miss its 800 ms deadline now and then).
    await readyWithin(1, 200, 10_000);
    // The service itself is alive: only its way to the database is gone.
    expect((await get(0, "/health")).status).toBe(200);
    await fault.undo();
    await readyWithin(0, 200, 20_000);
    // Undone twice (an undo step, then the end of the run): nothing left to remove, no error.
    await fault.undo();
  }, 60_000);

  it("refuses a peer that nothing of the run is", async () => {
    const fault = create(parse({ type: "partition", role: "stable", from: "cache" }));
    await expect(fault.inject()).rejects.toMatchObject({ code: "SCENARIO_INVALID", message: expect.stringContaining('no running container of the run has the role "cache"') });
  });
});

describe("the cpu-stress fault on Docker", () => {
  it("runs stress-ng in the instance's cgroup: its CPU use rises while the service keeps answering; undo stops it", async () => {
    const idleCpu = await cpuSecondsOver(0, 1000);
    let busyCpuSeen = 0;
    const idleMs = await medianHealthMs(0, 25);
    const fault = create(parse({ type: "cpu-stress", role: "stable", instance: 0, workers: 8 }));
    expect(await fault.inject()).toMatch(/^stress-ng in container \S+ \(pid \d+\): 8 CPU worker\(s\) at 100%$/);
    try {
      // stress-ng dispatches its workers a moment after it starts.
      await waitFor(async () => ((await stressProcesses(0)) === 9 ? true : undefined), { description: "stress-ng and its 8 workers", timeoutMs: 10_000 });
      // Counted in this container's cgroup: stress-ng's workers are its processes.
      const busyCpu = await cpuSecondsOver(0, 1000);
      busyCpuSeen = busyCpu;
      // Docker gives each container an equal share of a busy machine, so how much stress-ng gets depends on the others.
      expect(busyCpu).toBeGreaterThan(Math.max(0.2, idleCpu * 5));
      // The service keeps answering. How much slower depends on the machine: without a CPU limit the kernel
      // favours a waking process over busy workers, so a light request may not slow at all (seen: 2.3 ms idle,
      // 1.7 ms stressed); the kind test, under the pod's CPU limit, is where the slowdown is asserted.
      const busyMs = await medianHealthMs(0, 25);
      expect(busyMs).toBeLessThan(2000);
      expect(idleMs).toBeGreaterThan(0);
    } finally {
      await fault.undo();
    }
    expect(await stressProcesses(0)).toBe(0);
    expect(await cpuSecondsOver(0, 1000)).toBeLessThan(Math.max(0.1, busyCpuSeen / 3));
    await readyWithin(0, 200, 15_000);
  }, 60_000);
});

describe("the memory-pressure fault on Docker", () => {
  it("below the limit: memory use near the limit it set, the service still answering; undo stops stress-ng and lifts the limit", async () => {
    const fault = create(parse({ type: "memory-pressure", role: "stable", instance: 0, fill: 70, limit: "256Mi" }));
    expect(await fault.inject()).toMatch(/: 179Mi held \(70% of the 256Mi memory limit set for the fault\)/);
    const limit = 256 * 2 ** 20;
    expect((await container(0).inspect()).HostConfig.Memory).toBe(limit);
    const used = await waitFor(
      async () => {
        const s = (await container(0).stats({ stream: false })) as { memory_stats: { usage: number } };
        return s.memory_stats.usage >= 0.7 * limit ? s.memory_stats.usage : undefined;
      },
      { description: "the container's memory use to reach 70% of its limit", timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(used).toBeLessThanOrEqual(limit);
    expect((await get(0, "/health")).status).toBe(200);
    await fault.undo();
    expect(await stressProcesses(0)).toBe(0);
    const info = await container(0).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.HostConfig.Memory).toBe(((await docker().info()) as { MemTotal: number }).MemTotal);
    // The service's OOM score is back to what it was.
    expect(await output(streamExec(container(0), ["cat", "/proc/1/oom_score_adj"]))).toBe("0");
    await readyWithin(0, 200, 15_000);
  }, 60_000);

  it("at the limit: the kernel OOM-kills the service and Docker does not restart it; undo starts it again, ready", async () => {
    const name = stable.instances[1]!.name;
    const fault = create(parse({ type: "memory-pressure", role: "stable", instance: 1 }));
    expect(await fault.inject()).toMatch(/: 256Mi held \(100% of the 256Mi memory limit set for the fault\); the service is the OOM killer's first choice$/);
    const state = await waitFor(
      async () => {
        const s = (await container(1).inspect()).State;
        return s.Running ? undefined : s;
      },
      { description: `${name} to be OOM-killed`, timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(state).toMatchObject({ OOMKilled: true, ExitCode: 137 });
    expect((await get(1, "/health")).status).toBeNull();
    await readyWithin(0, 200, 15_000);
    await fault.undo();
    await readyWithin(1, 200, 30_000);
    const successor = await container(1).inspect();
    expect(successor.State.Running).toBe(true);
    expect(successor.HostConfig.Memory).toBe(0);
    await fault.undo();
  }, 90_000);
});

describe("the crash-loop fault on Docker", () => {
  it("Docker's restart policy restarts the killed service again and again, on a new host port each time that the instance follows; undo leaves it running, ready, with no policy", async () => {
    const first = stable.instances[0]!.baseUrl;
    const fault = create(parse({ type: "crash-loop", role: "stable", instance: 0 }));
    expect(await fault.inject()).toMatch(/-stable-0's process killed \(SIGKILL from the host, a crash to Docker\) each time Docker's restart policy \(on-failure\) brings it back/);
    expect((await container(0).inspect()).HostConfig.RestartPolicy).toMatchObject({ Name: "on-failure" });
    // Docker's back-off doubles from 100 ms: within a few seconds it has restarted the container several times.
    await waitFor(async () => ((await container(0).inspect()).RestartCount >= 4 ? true : undefined), { description: "4 restarts by Docker", timeoutMs: 20_000, intervalMs: 200 });
    // The other instance is untouched.
    expect((await get(1, "/health")).status).toBe(200);
    const detail = await fault.undo();
    expect(detail).toMatch(/^killed (\d+) time\(s\), restarted by Docker's restart policy \(on-failure\) \1 time\(s\); up and ready again, restart policy back to none$/);
    const after = await container(0).inspect();
    expect(after.State.Running).toBe(true);
    expect(after.HostConfig.RestartPolicy).toMatchObject({ Name: "no" });
    // The platform's instance points at the port Docker published at the last restart: it answers there.
    expect(stable.instances[0]!.baseUrl).not.toBe(first);
    expect((await get(0, "/ready")).status).toBe(200);
    // Nothing kills it any more.
    const pid = after.State.Pid;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await container(0).inspect()).State.Pid).toBe(pid);
    // A second undo has nothing left to do.
    expect(await fault.undo()).toBeUndefined();
  }, 120_000);
});
