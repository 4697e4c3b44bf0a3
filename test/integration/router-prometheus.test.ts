import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../harness/common/clock.js";
import { PrometheusAnalysis } from "../../harness/analysis/analysis.js";
import { startPrometheus, type PrometheusClient } from "../../harness/analysis/prometheus.js";
import { DockerPlatform } from "../../harness/platforms/docker/docker-platform.js";
import type { HaproxyRouter } from "../../harness/traffic/haproxy-router.js";
import { startRouter } from "../../harness/traffic/start-router.js";
import { testContext } from "../support/context.js";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("router-prometheus", 0.6); // HAProxy, Prometheus and the service

// HAProxy holds the weights (changed live through its runtime API); Prometheus scrapes every instance and the router.
const ctx = testContext("router");
const platform = new DockerPlatform(ctx);
let router: HaproxyRouter;
let prometheus: PrometheusClient;
let candidateUrl: string;

async function versionsOf(n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${router.baseUrl}/health`);
    await res.arrayBuffer();
    const v = res.status === 200 ? (res.headers.get("x-app-version") ?? "none") : `status-${res.status}`;
    seen[v] = (seen[v] ?? 0) + 1;
  }
  return seen;
}

beforeAll(async () => {
  const stable = await platform.deploy({ role: "stable", version: "good-1", replicas: 2, faults: {}, database: undefined });
  const candidate = await platform.deploy({ role: "candidate", version: "good-2", replicas: 1, faults: {}, database: undefined });
  candidateUrl = candidate.instances[0]!.baseUrl;
  router = await startRouter(platform, [stable, candidate], { stable: 100, candidate: 0 });
  prometheus = await startPrometheus(platform, [stable, candidate], { scrapeIntervalMs: 500, router: "router:8404" });
});
afterAll(() => ctx.dispose());

describe("HAProxy router", () => {
  it("starts with every request on stable, and reads its weights back", async () => {
    expect(await router.readShares()).toEqual({ stable: 100, candidate: 0 });
    expect(await versionsOf(50)).toEqual({ "good-1": 50 });
  });

  it("shifts 10% to the candidate live and the traffic follows the weights", async () => {
    await router.setShares({ stable: 90, candidate: 10 });
    expect(await router.readShares()).toEqual({ stable: 90, candidate: 10 });
    const seen = await versionsOf(400);
    expect(seen["good-2"]! / 400).toBeCloseTo(0.1, 1);
    expect((seen["good-1"] ?? 0) + (seen["good-2"] ?? 0)).toBe(400);
  });

  it("moves everything to the candidate and back", async () => {
    await router.setShares({ stable: 0, candidate: 100 });
    expect(await versionsOf(30)).toEqual({ "good-2": 30 });
    await router.setShares({ stable: 100, candidate: 0 });
    expect(await router.readShares()).toEqual({ stable: 100, candidate: 0 });
    expect(await versionsOf(30)).toEqual({ "good-1": 30 });
  });
});

describe("Prometheus", () => {
  it("scrapes every app instance and the router", async () => {
    const targets = await waitFor(
      async () => {
        const t = await prometheus.targets();
        return t.length === 4 && t.every((x) => x.health === "up") ? t : undefined;
      },
      { description: "all 4 targets up in Prometheus", timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(targets.map((t) => t.job).sort()).toEqual(["app", "app", "app", "router"]);
  });

  it("counts requests per version as the services report them", async () => {
    await router.setShares({ stable: 50, candidate: 50 });
    await versionsOf(100);
    const byVersion = await waitFor(
      async () => {
        const r = await prometheus.query('sum by (version) (http_requests_total{route="/health"})');
        const m = Object.fromEntries(r.map((s) => [s.labels.version, s.value]));
        return (m["good-2"] ?? 0) >= 80 ? m : undefined;
      },
      { description: "Prometheus to see the candidate's requests", timeoutMs: 10_000, intervalMs: 250 },
    );
    expect(byVersion["good-1"]).toBeGreaterThanOrEqual(100);
    const routed = await prometheus.query('sum(haproxy_backend_http_responses_total{proxy="app"})');
    expect(routed[0]!.value).toBeGreaterThan(0);
  });
});

describe("the analysis over Prometheus", () => {
  it("counts a window's requests exactly, not extrapolated to its edges, and its figures agree with their intervals", async () => {
    // Without a database every /api request of the candidate answers 503: 13 requests, 13 errors.
    const analysis = new PrometheusAnalysis(prometheus, "p95", 500);
    const before = await analysis.measure("good-2", 60_000);
    for (let i = 0; i < 13; i++) await (await fetch(`${candidateUrl}/api/evaluations`)).arrayBuffer();
    const m = await waitFor(
      async () => {
        const r = await analysis.measure("good-2", 60_000);
        return r.requests >= before.requests + 13 ? r : undefined;
      },
      { description: "the analysis to count the candidate's 13 requests", timeoutMs: 10_000, intervalMs: 250 },
    );
    expect(m.requests - before.requests).toBe(13);
    expect(m.errorRate).toBe(1);
    expect(m.intervals!.errorRate![1]).toBe(1);
    expect(m.latencyMs).toBeGreaterThan(0);
    expect(m.intervals!.latencies!.p95![0]).toBeLessThanOrEqual(m.latencyMs!);
    expect(m.intervals!.latencies!.p95![1]).toBeGreaterThanOrEqual(m.latencyMs!);
    // The stable version served /health only: no /api request, no error rate.
    const quiet = await analysis.measure("good-1", 60_000);
    expect(quiet.requests).toBe(0);
    expect(quiet.errorRate).toBeUndefined();
  });
});
