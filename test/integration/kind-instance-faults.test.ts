// lane: kind (scripts/test.sh runs the kind files one after another, beside the Docker lane)
import { randomBytes } from "node:crypto";
import { CoreV1Api, type V1ContainerStatus } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../harness/common/clock.js";
import { docker } from "../../harness/engine/docker.js";
import type { Fault } from "../../harness/faults/fault.js";
import { faultType } from "../../harness/faults/registry.js";
import { KindCluster } from "../../harness/platforms/kind/cluster.js";
import { KindPlatform } from "../../harness/platforms/kind/kind-platform.js";
import type { Database, Service } from "../../harness/platforms/platform.js";
import { streamExec } from "../../harness/platforms/stream-exec.js";
import { httpGet } from "../../harness/probes/http-probe.js";
import { testContext } from "../support/context.js";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("kind-instance-faults", 1.2); // a kind cluster of its own and stress-ng in a pod

// The partition, cpu-stress and memory-pressure faults on kind, in a cluster of their own from the locally built
// node image: the reference service in the development overlay (limits 500m CPU, 1Gi memory), two pods.
const ctx = testContext("kind-instance-faults");
let cluster: KindCluster;
let platform: KindPlatform;
let core: CoreV1Api;
let db: Database;
let stable: Service;

const create = (spec: Record<string, unknown>): Fault =>
  faultType(String(spec.type))!.create(faultType(String(spec.type))!.schema.parse(spec) as never, { platform, database: db, services: new Map([["stable", stable]]) });
const get = (i: number, path: string, timeoutMs = 3000) => httpGet(`${stable.instances[i]!.baseUrl}${path}`, { timeoutMs });

async function readyWithin(i: number, status: number, timeoutMs: number) {
  return waitFor(
    async () => {
      const o = await get(i, "/ready");
      return o.status === status ? o : undefined;
    },
    { description: `pod ${stable.instances[i]!.name} /ready ${status}`, timeoutMs, intervalMs: 250 },
  );
}

async function apiContainer(i: number): Promise<V1ContainerStatus> {
  const pod = await core.readNamespacedPod({ name: stable.instances[i]!.name, namespace: platform.namespace });
  return pod.status!.containerStatuses!.find((c) => c.name === "api")!;
}

/** What a shell command prints in a pod's app container, run through the node's containerd. */
async function inContainer(i: number, script: string): Promise<string> {
  const id = (await apiContainer(i)).containerID!.replace(/^containerd:\/\//, "");
  const exec = streamExec(docker().getContainer(cluster.node), ["ctr", "--namespace", "k8s.io", "task", "exec", "--exec-id", `test-${randomBytes(3).toString("hex")}`, id, "sh", "-c", script]);
  let out = "";
  exec.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await exec.done;
  return out;
}

/** stress-ng processes in a pod's app container. The app image has sh, cat and grep, no more (fixtures/images/app): the lines are counted here. */
async function stressProcesses(i: number): Promise<number> {
  return (await inContainer(i, "grep -ls '^stress-ng' /proc/[0-9]*/cmdline; true")).split("\n").filter((l) => l.startsWith("/proc/")).length;
}

/** How many CFS periods the kernel has throttled the container in: its own cgroup's cpu.stat (cgroup v1's cpu controller, or v2). */
async function throttledPeriods(i: number): Promise<number> {
  const stat = await inContainer(i, "cat /sys/fs/cgroup/cpu/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpu.stat");
  const n = /^nr_throttled (\d+)$/m.exec(stat)?.[1];
  if (n === undefined) throw new Error(`no nr_throttled in the container's cpu.stat: ${stat}`);
  return Number(n);
}

/**
 * The mean time of n /health requests one after the other, through the API
 * server's pod proxy. The mean, not the
 * median: under a CPU quota the pod runs in bursts, and requests one after the
 * other mostly land in a burst and are quick; the slow ones are those that wait
 * out the rest of a throttled period, which only the mean counts.
 */
async function meanHealthMs(i: number, n: number): Promise<number> {
  let total = 0;
  for (let k = 0; k < n; k++) total += (await get(i, "/health")).ms;
  return total / n;
}

beforeAll(async () => {
  cluster = await KindCluster.acquire({ name: `gameday-faults-${randomBytes(2).toString("hex")}`, keep: false, log: () => undefined });
  core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  platform = new KindPlatform(ctx, { cluster, kind: cluster, scale: 0.1, environment: "development" });
  db = await platform.startDatabase();
  stable = await platform.deploy({ role: "stable", version: "good-1", replicas: 2, faults: {}, database: db });
  for (let i = 0; i < 2; i++) await readyWithin(i, 200, 60_000);
}, 300_000);

afterAll(async () => {
  await ctx.dispose().finally(() => cluster?.release());
}, 180_000);

describe("the partition fault on kind", () => {
  it("cuts one pod off from the database: its /ready turns 503 naming the database and it leaves the Service's endpoints; undo brings it back", async () => {
    const fault = create({ type: "partition", role: "stable", instance: 0, from: "database" });
    expect(await fault.inject()).toMatch(new RegExp(`^pod ${stable.instances[0]!.name} cut off from database \\(\\d+\\.\\d+\\.\\d+\\.\\d+\\): packets both ways dropped`));
    const unready = await readyWithin(0, 503, 15_000);
    expect(unready.body).toMatchObject({ failing: ["database"] });
    expect((await get(1, "/ready")).status).toBe(200);
    // The kubelet's readiness probe sees it too: one ready endpoint left.
    await waitFor(async () => ((await platform.kubernetes.observe()).find((o) => o.role === "stable")?.endpoints === 1 ? true : undefined), {
      description: "the partitioned pod to leave the Service's endpoints",
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    await fault.undo();
    await readyWithin(0, 200, 30_000);
    await fault.undo();
  }, 120_000);
});

describe("the cpu-stress fault on kind", () => {
  it("runs stress-ng in the pod's container under its CPU limit: the kernel throttles it and its responses slow down; undo stops it", async () => {
    const idleBefore = await meanHealthMs(0, 21);
    const fault = create({ type: "cpu-stress", role: "stable", instance: 0, workers: 4 });
    expect(await fault.inject()).toMatch(/^stress-ng in the api container of pod \S+ \(pid \d+\): 4 CPU worker\(s\) at 100%$/);
    const busy: number[] = [];
    let throttled: [number, number];
    try {
      await waitFor(async () => ((await stressProcesses(0)) === 5 ? true : undefined), { description: "stress-ng and its 4 workers", timeoutMs: 15_000 });
      // 500m of CPU shared with four busy workers: the kernel holds the container to its quota (throttled periods
      // counted in its cgroup), and the service waits for its share of each period. Eight samples of 21 requests.
      const before = await throttledPeriods(0);
      for (let k = 0; k < 8; k++) busy.push(await meanHealthMs(0, 21));
      throttled = [before, await throttledPeriods(0)];
    } finally {
      await fault.undo();
    }
    expect(await stressProcesses(0)).toBe(0);
    expect((await apiContainer(0)).restartCount).toBe(0);
    expect(throttled[1], `throttled periods ${throttled.join(" -> ")}`).toBeGreaterThan(throttled[0] + 10);
    // Idle, before and after: a cluster just up is still busy with itself, which slows the first reading.
    const idle = Math.min(idleBefore, await meanHealthMs(0, 21));
    expect(Math.max(...busy), `idle ${idle.toFixed(1)} ms (before ${idleBefore.toFixed(1)}), under stress ${busy.map((b) => b.toFixed(1)).join(", ")} ms`).toBeGreaterThan(idle * 2);
  }, 120_000);
});

describe("the memory-pressure fault on kind", () => {
  it("at the container's limit: the kernel OOM-kills the service, the kubelet restarts it (lastState OOMKilled) and the pods evidence shows it", async () => {
    const before = await apiContainer(1);
    const fault = create({ type: "memory-pressure", role: "stable", instance: 1 });
    expect(await fault.inject()).toMatch(/: 1024Mi held \(100% of the container's 1024Mi memory limit\); the service is the OOM killer's first choice$/);
    const after = await waitFor(
      async () => {
        const c = await apiContainer(1);
        return c.restartCount > before.restartCount && c.lastState?.terminated ? c : undefined;
      },
      { description: "the api container restarted after an OOM kill", timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(after.lastState!.terminated).toMatchObject({ reason: "OOMKilled", exitCode: 137 });
    const observed = (await platform.kubernetes.observe()).find((o) => o.role === "stable")!;
    expect(observed.pods.find((p) => p.name === stable.instances[1]!.name)).toMatchObject({ restarts: before.restartCount + 1, lastTerminated: "OOMKilled" });
    // Nothing to undo: stress-ng went with the killed container.
    await fault.undo();
    await readyWithin(1, 200, 60_000);
    expect(await stressProcesses(1)).toBe(0);
  }, 150_000);

  it("refuses a container without a memory limit", async () => {
    // k8s/base sets no limits: a second platform in the same cluster, its own namespace.
    const bare = testContext("kind-instance-faults-bare");
    try {
      const p = new KindPlatform(bare, { cluster, kind: cluster, scale: 0.1 });
      const svc = await p.deploy({ role: "stable", version: "good-1", replicas: 1, faults: { readinessFail: true }, database: undefined });
      const fault = faultType("memory-pressure")!.create(faultType("memory-pressure")!.schema.parse({ type: "memory-pressure", role: "stable" }) as never, {
        platform: p,
        database: undefined,
        services: new Map([["stable", svc]]),
      });
      await expect(fault.inject()).rejects.toMatchObject({ code: "COMMAND_FAILED", message: expect.stringContaining("the container has no memory limit"), hint: expect.stringContaining("overlay") });
    } finally {
      await bare.dispose();
    }
  }, 120_000);
});
