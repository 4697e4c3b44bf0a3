import { describe, expect, it } from "vitest";
import { analysisSelectors, measurementOf } from "./analysis.js";
import { prometheusConfig, type ScrapeTarget } from "./prometheus.js";

const SEL = 'version="v2",route=~"/api/.*"';

describe("analysisSelectors", () => {
  const q = analysisSelectors("v2", 30_000, 250);

  it("reads the version's /api requests and its histogram over the window plus a margin of two scrape intervals, at least 5 s", () => {
    expect(q.requests).toBe(`http_requests_total{${SEL}}[35000ms]`);
    expect(q.buckets).toBe(`http_request_duration_seconds_bucket{${SEL}}[35000ms]`);
    expect(q.sum).toBe(`http_request_duration_seconds_sum{${SEL}}[35000ms]`);
    expect(analysisSelectors("v2", 30_000, 4000).requests).toContain("[38000ms]");
  });

  it("selects the version asked for, in every selector", () => {
    for (const query of Object.values(analysisSelectors("v1", 30_000, 250))) {
      expect(query).toContain('version="v1"');
      expect(query).not.toContain('version="v2"');
      expect(query).toContain('route=~"/api/.*"');
    }
  });

  it("writes the range in whole milliseconds", () => {
    expect(analysisSelectors("v2", 1500.4, 0).requests).toContain("[6500ms]");
    expect(analysisSelectors("v2", 1500.6, 0).requests).toContain("[6501ms]");
  });
});

describe("measurementOf", () => {
  // 20 requests, 2 of them 5xx: 10 under 0.1 s, 8 more under 0.3 s, 2 over 0.5 s.
  const counts = { requests: 20, errors: 2, buckets: [[0.1, 10], [0.3, 18], [0.5, 18], [Number.POSITIVE_INFINITY, 20]] as Array<[number, number]>, sumSeconds: 4 };
  const queries = { requests: "r", buckets: "b" };

  it("takes the error rate and its Wilson interval from the exact counts", () => {
    const m = measurementOf(counts, "p95", [], queries);
    expect(m.requests).toBe(20);
    expect(m.errorRate).toBe(0.1);
    expect(m.intervals?.errorRate?.[0]).toBeCloseTo(0.0279, 3);
    expect(m.intervals?.errorRate?.[1]).toBeCloseTo(0.301, 3);
  });

  it("reads quantiles as histogram_quantile does, and the interval holds the estimate", () => {
    const m = measurementOf(counts, "p50", ["p95", "avg"], queries);
    expect(m.latencyMs).toBeCloseTo(100, 6);
    expect(m.latencies?.p95).toBeCloseTo(500, 6);
    expect(m.latencies?.avg).toBeCloseTo(200, 6);
    const i = m.intervals!.latencies!.p50!;
    expect(i[0]).toBeLessThanOrEqual(m.latencyMs!);
    expect(i[1]).toBeGreaterThanOrEqual(m.latencyMs!);
  });

  it("has no error rate and no latency for a window without requests", () => {
    const m = measurementOf({ requests: 0, errors: 0, buckets: [] }, "p95", ["avg"], queries);
    expect(m.errorRate).toBeUndefined();
    expect(m.latencyMs).toBeUndefined();
    expect(m.latencies).toEqual({});
  });
});

describe("prometheusConfig", () => {
  const targets: ScrapeTarget[] = [
    { job: "app", address: "stable-0:8000", labels: { role: "stable" } },
    { job: "app", address: "candidate-0:8000", labels: { role: "candidate" } },
    { job: "router", address: "router:8404", labels: {} },
  ];

  it("sets the scrape and evaluation interval, and a timeout of at most a second", () => {
    const config = prometheusConfig(targets, 500);
    expect(config).toContain("  scrape_interval: 500ms\n");
    expect(config).toContain("  evaluation_interval: 500ms\n");
    expect(config).toContain("  scrape_timeout: 500ms\n");
    expect(prometheusConfig(targets, 5000)).toContain("  scrape_interval: 5000ms\n  scrape_timeout: 1000ms\n  evaluation_interval: 5000ms\n");
  });

  it("lists every target under its job, with its labels", () => {
    expect(prometheusConfig(targets, 1000)).toBe(
      [
        "global:",
        "  scrape_interval: 1000ms",
        "  scrape_timeout: 1000ms",
        "  evaluation_interval: 1000ms",
        "scrape_configs:",
        "  - job_name: app",
        "    static_configs:",
        '      - targets: ["stable-0:8000"]',
        '        labels: { role: "stable" }',
        '      - targets: ["candidate-0:8000"]',
        '        labels: { role: "candidate" }',
        "  - job_name: router",
        "    static_configs:",
        '      - targets: ["router:8404"]',
        "",
      ].join("\n"),
    );
  });

  it("groups targets by job even when they come interleaved, and writes several labels", () => {
    const config = prometheusConfig(
      [
        { job: "app", address: "stable-0:8000", labels: { role: "stable", version: "v1" } },
        { job: "router", address: "router:8404", labels: {} },
        { job: "app", address: "stable-1:8000", labels: { role: "stable", version: "v1" } },
      ],
      1000,
    );
    expect(config.match(/job_name: app/g)).toHaveLength(1);
    expect(config.match(/job_name: router/g)).toHaveLength(1);
    const app = config.indexOf("job_name: app");
    const router = config.indexOf("job_name: router");
    expect(config.indexOf('targets: ["stable-1:8000"]')).toBeGreaterThan(app);
    expect(config.indexOf('targets: ["stable-1:8000"]')).toBeLessThan(router);
    expect(config.match(/labels: \{ role: "stable", version: "v1" \}/g)).toHaveLength(2);
  });

  it("has no jobs without targets", () => {
    expect(prometheusConfig([], 1000)).toBe("global:\n  scrape_interval: 1000ms\n  scrape_timeout: 1000ms\n  evaluation_interval: 1000ms\nscrape_configs:\n");
  });
});
