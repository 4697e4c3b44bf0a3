import { describe, expect, it } from "vitest";
import { LATENCY_STATISTICS } from "../model/strategy.js";
import { analysisQueries } from "./analysis.js";
import { prometheusConfig, type ScrapeTarget } from "./prometheus.js";

const SEL = 'version="v2",route=~"/api/.*"';

describe("analysisQueries", () => {
  const q = analysisQueries("v2", 30_000, "p95");

  it("counts the version's /api requests over the window", () => {
    expect(q.requests).toBe(`sum(increase(http_requests_total{${SEL}}[30000ms]))`);
  });

  it("takes the error rate as 5xx over all /api requests of the version", () => {
    expect(q.errorRate).toBe(`sum(rate(http_requests_total{${SEL},code=~"5.."}[30000ms])) / sum(rate(http_requests_total{${SEL}}[30000ms]))`);
  });

  it("takes p95 from the histogram, in milliseconds", () => {
    expect(q.latency).toBe(`1000 * histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${SEL}}[30000ms])))`);
  });

  it("uses the quantile of each statistic", () => {
    expect(analysisQueries("v2", 30_000, "p50").latency).toContain("histogram_quantile(0.5, ");
    expect(analysisQueries("v2", 30_000, "p90").latency).toContain("histogram_quantile(0.9, ");
    expect(analysisQueries("v2", 30_000, "p99").latency).toContain("histogram_quantile(0.99, ");
    for (const s of LATENCY_STATISTICS.filter((s) => s !== "avg")) {
      expect(analysisQueries("v2", 30_000, s).latency).toMatch(/^1000 \* histogram_quantile\(0\.\d+, /);
    }
  });

  it("takes avg as _sum over _count, in milliseconds", () => {
    expect(analysisQueries("v2", 30_000, "avg").latency).toBe(
      `1000 * sum(rate(http_request_duration_seconds_sum{${SEL}}[30000ms])) / sum(rate(http_request_duration_seconds_count{${SEL}}[30000ms]))`,
    );
    expect(analysisQueries("v2", 30_000, "avg").latency).not.toContain("histogram_quantile");
  });

  it("selects the version asked for, in every query", () => {
    const v1 = analysisQueries("v1", 30_000, "p95");
    for (const query of Object.values(v1)) {
      expect(query).toContain('version="v1"');
      expect(query).not.toContain('version="v2"');
      expect(query).toContain('route=~"/api/.*"');
    }
  });

  it("writes the window in whole milliseconds, at least 1", () => {
    expect(analysisQueries("v2", 1500.4, "p95").requests).toContain("[1500ms]");
    expect(analysisQueries("v2", 1500.6, "p95").errorRate).toContain("[1501ms]");
    expect(analysisQueries("v2", 0, "p95").latency).toContain("[1ms]");
    for (const query of Object.values(analysisQueries("v2", 600_000, "avg"))) {
      expect(query).toContain("[600000ms]");
      expect(query).not.toMatch(/\[\d+(s|m)\]/);
    }
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
