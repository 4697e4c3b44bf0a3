import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../harness/common/clock.js";
import { docker } from "../../harness/engine/docker.js";
import { DockerPlatform } from "../../harness/platforms/docker/docker-platform.js";
import type { Database, Service } from "../../harness/platforms/platform.js";
import { httpGet } from "../../harness/probes/http-probe.js";
import { parsePrometheusText, sumSamples } from "../../harness/probes/prometheus-text.js";
import { testContext } from "../support/context.js";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("app-image", 0.5); // its own containers and requests

// The reference service's images against a real PostgreSQL container, all started by the harness's Docker platform.
const ctx = testContext("app-image");
const platform = new DockerPlatform(ctx);
let db: Database;
let stable: Service;
let url: string;

async function until(description: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<number> {
  const started = Date.now();
  await waitFor(async () => ((await check()) ? true : undefined), { description, timeoutMs, intervalMs: 50 });
  return Date.now() - started;
}
const statusOf = async (path: string) => (await httpGet(`${url}${path}`)).status;

async function fire(base: string, path: string, n: number, concurrency = 10): Promise<Array<{ status: number | null; ms: number }>> {
  const out: Array<{ status: number | null; ms: number }> = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const o = await httpGet(`${base}${path}`, { timeoutMs: 5000 });
        out.push({ status: o.status, ms: o.ms });
      }
    }),
  );
  return out;
}

async function putFaults(base: string, body: unknown): Promise<Response> {
  return fetch(`${base}/admin/faults`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

beforeAll(async () => {
  db = await platform.startDatabase();
  stable = await platform.deploy({ role: "stable", version: "good-1", replicas: 1, faults: {}, database: db });
  url = stable.instances[0]!.baseUrl;
  await until("the stable version to be ready", async () => (await statusOf("/ready")) === 200, 30_000);
});
afterAll(() => ctx.dispose());

describe("reference service image with real PostgreSQL", () => {
  it("answers /health and /ready with 200 and names its version in a header", async () => {
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-app-version")).toBe("good-1");
    const body = (await res.json()) as { status: string; timestamp: string };
    expect(body.status).toBe("healthy");
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
    const ready = await httpGet(`${url}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready", checks: { database: "ok" } });
  });

  it("writes evaluations to PostgreSQL and reads them back", async () => {
    const created = await fetch(`${url}/api/evaluations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m-1", benchmark: "b-1", score: 0.75 }),
    });
    expect(created.status).toBe(201);
    const row = (await created.json()) as { id: string | number; version: string };
    expect(row.version).toBe("good-1");
    const read = await httpGet(`${url}/api/evaluations/${row.id}`);
    expect(read.status).toBe(200);
    const client = new pg.Client({ connectionString: await db.harnessUrl() });
    await client.connect();
    try {
      const direct = await client.query("SELECT model, score FROM evaluations WHERE id = $1", [row.id]);
      expect(direct.rows).toEqual([{ model: "m-1", score: 0.75 }]);
    } finally {
      await client.end();
    }
  });

  it("turns /ready 503 naming the database within 2 s of a paused PostgreSQL, keeps /health 200, and recovers", async () => {
    await db.pause();
    try {
      const took = await until("/ready to turn 503", async () => {
        const o = await httpGet(`${url}/ready`);
        return o.status === 503 && ((o.body as { failing?: string[] }).failing ?? []).includes("database");
      });
      expect(took).toBeLessThan(2000);
      expect(await statusOf("/health")).toBe(200);
    } finally {
      await db.unpause();
    }
    await until("/ready to recover", async () => (await statusOf("/ready")) === 200);
  });

  it("turns /ready 503 within 2 s of a stopped PostgreSQL and recovers after it restarts", async () => {
    await db.stop();
    try {
      const took = await until("/ready to turn 503", async () => (await statusOf("/ready")) === 503);
      expect(took).toBeLessThan(2000);
      expect(await statusOf("/health")).toBe(200);
    } finally {
      await db.start();
    }
    await until("/ready to recover", async () => (await statusOf("/ready")) === 200, 15_000);
  });

  it("exposes Prometheus text counting requests by route and version", async () => {
    const before = parsePrometheusText((await httpGet(`${url}/metrics`, { keepText: true })).text!);
    const answers = await fire(url, "/api/evaluations", 25);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const after = parsePrometheusText((await httpGet(`${url}/metrics`, { keepText: true })).text!);
    const count = (s: typeof after) => sumSamples(s, "http_requests_total", { route: "/api/evaluations", version: "good-1", code: "200" });
    expect(count(after) - count(before)).toBe(25);
    expect(sumSamples(after, "http_request_duration_seconds_count", { route: "/api/evaluations", version: "good-1" })).toBeGreaterThanOrEqual(25);
  });

  it("answers the configured error fraction: erroring-1 (20% from its image) and a run-time change to 50%", async () => {
    const erroring = await platform.deploy({ role: "erroring", version: "erroring-1", replicas: 1, faults: {}, database: db });
    const base = erroring.instances[0]!.baseUrl;
    await until("erroring-1 to be ready", async () => (await httpGet(`${base}/ready`)).status === 200, 30_000);
    const fraction = (xs: Array<{ status: number | null }>) => xs.filter((x) => x.status === 500).length / xs.length;
    const at20 = await fire(base, "/api/evaluations", 1000);
    expect(Math.abs(fraction(at20) - 0.2)).toBeLessThanOrEqual(0.015);
    expect((await putFaults(base, { errorRate: 0.5 })).status).toBe(200);
    const at50 = await fire(base, "/api/evaluations", 1000);
    expect(Math.abs(fraction(at50) - 0.5)).toBeLessThanOrEqual(0.015);
    expect((await httpGet(`${base}/health`)).status).toBe(200);
  });

  it("adds the configured latency, fixed and jittered", async () => {
    expect((await putFaults(url, { latencyMs: 300, latencyJitterMs: 100 })).status).toBe(200);
    try {
      const answers = await fire(url, "/api/evaluations", 40);
      const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
      expect(ms[0]!).toBeGreaterThanOrEqual(300);
      expect(ms[Math.floor(ms.length * 0.95)]!).toBeLessThan(600);
      expect(ms[ms.length - 1]! - ms[0]!).toBeGreaterThan(20); // jitter spreads the answers
    } finally {
      await putFaults(url, { latencyMs: 0, latencyJitterMs: 0 });
    }
  });

  it("fails readiness and liveness on demand", async () => {
    await putFaults(url, { readinessFail: true, livenessFail: true });
    try {
      const ready = await httpGet(`${url}/ready`);
      expect(ready.status).toBe(503);
      expect((ready.body as { failing: string[] }).failing).toContain("fault");
      expect(await statusOf("/health")).toBe(500);
    } finally {
      await putFaults(url, { readinessFail: false, livenessFail: false });
    }
    expect(await statusOf("/health")).toBe(200);
    expect(await statusOf("/ready")).toBe(200);
  });

  it("crashes with exit code 1 after the configured time (crashing-1 with a 1 s override)", async () => {
    const crashing = await platform.deploy({ role: "crashing", version: "crashing-1", replicas: 1, faults: { crashAfterSeconds: 1 }, database: db });
    const container = docker().getContainer(crashing.instances[0]!.name);
    await until("crashing-1 to exit", async () => !(await container.inspect()).State.Running, 10_000);
    expect((await container.inspect()).State.ExitCode).toBe(1);
  });
});
