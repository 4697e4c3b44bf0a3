import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../harness/common/clock.js";
import { LABEL } from "../../harness/common/labels.js";
import { docker } from "../../harness/engine/docker.js";
import type { Fault } from "../../harness/faults/fault.js";
import { faultType } from "../../harness/faults/registry.js";
import { DockerPlatform } from "../../harness/platforms/docker/docker-platform.js";
import type { Database, Service } from "../../harness/platforms/platform.js";
import { testContext } from "../support/context.js";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("database-network-faults", 0.5); // its own containers and requests

// The network faults between the reference service and PostgreSQL, through a real Toxiproxy on the Docker platform:
// each one's effect on the real service, and the service back to normal once it is undone.
const ctx = testContext("db-network");
const platform = new DockerPlatform(ctx);
let direct: Database;
let db: Database;
let stable: Service;
let base: string;

interface Answer {
  status: number | null;
  ms: number;
  body: string;
}

async function call(path: string, init: { method?: string; body?: unknown; timeoutMs?: number } = {}): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(`${base}${path}`, {
      method: init.method ?? "GET",
      ...(init.body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
    });
    const body = await res.text();
    return { status: res.status, ms: performance.now() - started, body };
  } catch (e) {
    return { status: null, ms: performance.now() - started, body: String(e) };
  }
}

/** `n` GETs of the list, one after the other (each reads the table through the service's pool). */
async function listTimes(n: number): Promise<Answer[]> {
  const out: Answer[] = [];
  for (let i = 0; i < n; i++) out.push(await call("/api/evaluations"));
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function create(type: string, spec: object): Fault {
  const t = faultType(type)!;
  return t.create(t.schema.parse({ type, ...spec }) as never, { platform, database: db, services: new Map([["stable", stable]]) });
}

/** The service answers as before the fault: lists and writes 200/201 quickly, /ready 200. */
async function expectNormal(): Promise<void> {
  // The pool drops connections the fault broke as it meets them: a moment after undo, every answer is good again.
  await waitFor(async () => ((await call("/ready")).status === 200 ? true : undefined), { description: "/ready 200 after undo", timeoutMs: 15_000, intervalMs: 200 });
  await waitFor(async () => ((await listTimes(5)).every((a) => a.status === 200) ? true : undefined), { description: "lists 200 after undo", timeoutMs: 15_000, intervalMs: 200 });
  const times = await listTimes(10);
  expect(times.map((a) => a.status)).toEqual(Array(10).fill(200));
  expect(median(times.map((a) => a.ms))).toBeLessThan(100);
  expect((await call("/api/evaluations", { method: "POST", body: { model: "m", benchmark: "b", score: 1 } })).status).toBe(201);
  expect(await db.proxy!.toxics()).toEqual([]);
}

beforeAll(async () => {
  direct = await platform.startDatabase();
  db = await platform.startDatabaseProxy(direct);
  stable = await platform.deploy({ role: "stable", version: "good-1", replicas: 1, faults: {}, database: db });
  base = stable.instances[0]!.baseUrl;
  await waitFor(async () => ((await call("/ready")).status === 200 ? true : undefined), { description: "the service ready through the proxy", timeoutMs: 60_000, intervalMs: 200 });
  // Rows to read back: each list carries the newest of them.
  for (let i = 0; i < 40; i++) expect((await call("/api/evaluations", { method: "POST", body: { model: `model-${i}`, benchmark: "mmlu-".padEnd(60, "x"), score: i } })).status).toBe(201);
}, 180_000);

afterAll(async () => {
  await ctx.dispose();
  expect(await docker().listContainers({ all: true, filters: { label: [`${LABEL.runId}=${ctx.runId}`] } })).toEqual([]);
}, 120_000);

describe("network faults between the service and PostgreSQL (Toxiproxy, Docker)", () => {
  it("puts the proxy between the service and the database: the service connects to it, PostgreSQL sees the proxy as its client", async () => {
    expect(db.serviceUrl).toBe(direct.serviceUrl.replace("@db:5432", "@db-proxy:5432"));
    const env = (await docker().getContainer(stable.instances[0]!.name).inspect()).Config.Env;
    expect(env).toContain(`DATABASE_URL=${db.serviceUrl}`);
    const proxyInfo = await docker().getContainer(db.proxy!.name).inspect();
    expect(proxyInfo.Config.Labels[LABEL.runId]).toBe(ctx.runId);
    expect(proxyInfo.Config.Labels[LABEL.role]).toBe("database-proxy");
    const proxyIp = proxyInfo.NetworkSettings.Networks[`gameday-${ctx.runId}`]!.IPAddress;
    const client = new pg.Client({ connectionString: await direct.harnessUrl() });
    await client.connect();
    try {
      const { rows } = await client.query<{ addr: string }>("SELECT DISTINCT host(client_addr) AS addr FROM pg_stat_activity WHERE application_name LIKE 'evaluation-api@%'");
      expect(rows.map((r) => r.addr)).toEqual([proxyIp]);
    } finally {
      await client.end();
    }
    // Its API is published on loopback only.
    const ports = proxyInfo.NetworkSettings.Ports["8474/tcp"]!;
    expect(ports.every((p) => p.HostIp === "127.0.0.1")).toBe(true);
  });

  it("latency with jitter: every list takes at least the latency longer, /ready's fresh connection misses its deadline; undone, back to normal", async () => {
    const before = median((await listTimes(10)).map((a) => a.ms));
    expect(before).toBeLessThan(100);
    const fault = create("database-latency", { latencyMs: 400, jitterMs: 100 });
    expect(await fault.inject()).toMatch(/^answers from PostgreSQL delayed 400±100 ms \(toxiproxy latency downstream/);
    const during = await listTimes(6);
    expect(during.map((a) => a.status)).toEqual(Array(6).fill(200));
    // Each answer is delayed 300 to 500 ms; the list is two queries side by side on open connections.
    for (const a of during) expect(a.ms).toBeGreaterThanOrEqual(290);
    expect(median(during.map((a) => a.ms))).toBeLessThan(1500);
    // /ready opens a connection of its own: startup, authentication and SELECT 1 take four delayed answers, over its 800 ms.
    const ready = await call("/ready");
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ failing: ["database"], checks: { database: "timeout after 800 ms" } });
    await fault.undo();
    await fault.undo();
    await expectNormal();
  }, 60_000);

  it("bandwidth: a list of rows crawls through at 2 KB/s; undone, back to normal", async () => {
    const size = (await call("/api/evaluations")).body.length;
    expect(size).toBeGreaterThan(3_000);
    const fault = create("database-bandwidth", { rateKBps: 2 });
    expect(await fault.inject()).toMatch(/^answers from PostgreSQL limited to 2 KB\/s per connection/);
    const slow = await call("/api/evaluations");
    // The rows on the wire are about as large as their JSON: at 2 KB/s, over a second (the service would give up after 3 s).
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThan(1000);
    await fault.undo();
    await expectNormal();
  }, 60_000);

  it("connections reset: the service answers 503 'database unavailable' and /ready 503 names the database; undone, back to normal", async () => {
    const fault = create("database-reset", {});
    await fault.inject();
    const list = await call("/api/evaluations");
    expect(list.status).toBe(503);
    expect(JSON.parse(list.body)).toMatchObject({ error: "database unavailable" });
    const ready = await call("/ready");
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ failing: ["database"] });
    expect(JSON.parse(ready.body).checks.database).toMatch(/ECONNRESET|Connection terminated|ended unexpectedly/i);
    await fault.undo();
    await expectNormal();
  }, 60_000);

  it("timeout: queries get no answer, the service gives up after its own timeouts with 503; /ready 503 'timeout'; undone, back to normal", async () => {
    const fault = create("database-timeout", {});
    await fault.inject();
    const list = await call("/api/evaluations");
    expect(list.status).toBe(503);
    // Nothing comes back: the service waits for its pool's deadline (connect 2 s, query 3 s), not an error from the network.
    expect(list.ms).toBeGreaterThan(1900);
    expect(JSON.parse(list.body)).toMatchObject({ error: "database unavailable" });
    const ready = await call("/ready");
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ failing: ["database"], checks: { database: "timeout after 800 ms" } });
    await fault.undo();
    await expectNormal();
  }, 60_000);

  it("a full cut: errors at once, /ready 503 naming the database (connection refused); undone, back to normal", async () => {
    const fault = create("database-cut", {});
    expect(await fault.inject()).toMatch(/^every connection to PostgreSQL closed, new ones refused/);
    const list = await call("/api/evaluations");
    expect(list.status).toBe(503);
    expect(list.ms).toBeLessThan(1000);
    const write = await call("/api/evaluations", { method: "POST", body: { model: "m", benchmark: "b", score: 1 } });
    expect(write.status).toBe(503);
    const ready = await call("/ready");
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ failing: ["database"] });
    expect(JSON.parse(ready.body).checks.database).toMatch(/ECONNREFUSED/);
    await fault.undo();
    await expectNormal();
  }, 60_000);

  it("faults at once are undone one by one: the cut holds until the last cut is restored, toxics go by name", async () => {
    const cutA = create("database-cut", {});
    const cutB = create("database-cut", {});
    const latency = create("database-latency", { latencyMs: 50 });
    const reset = create("database-reset", { afterMs: 10 });
    await Promise.all([cutA.inject(), cutB.inject(), latency.inject(), reset.inject()]);
    expect((await db.proxy!.toxics()).map((t) => t.type).sort()).toEqual(["latency", "reset_peer"]);
    await cutA.undo();
    expect((await call("/ready")).status).toBe(503);
    await reset.undo();
    expect((await db.proxy!.toxics()).map((t) => t.type)).toEqual(["latency"]);
    await cutB.undo();
    await latency.undo();
    await expectNormal();
  }, 60_000);
});
