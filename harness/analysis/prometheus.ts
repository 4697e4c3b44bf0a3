import { waitFor } from "../common/clock.js";
import { HarnessError, errorMessage } from "../common/errors.js";
import type { AddressedRole, Platform } from "../platforms/platform.js";

export const PROMETHEUS_PORT = 9090;

export interface ScrapeTarget {
  job: string;
  address: string;
  labels: Record<string, string>;
}

/** prometheus.yml scraping every app instance (labelled with its role) and the router. */
export function prometheusConfig(targets: readonly ScrapeTarget[], scrapeIntervalMs: number): string {
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const t of targets) jobs.set(t.job, [...(jobs.get(t.job) ?? []), t]);
  const lines = ["global:", `  scrape_interval: ${scrapeIntervalMs}ms`, `  scrape_timeout: ${Math.min(scrapeIntervalMs, 1000)}ms`, `  evaluation_interval: ${scrapeIntervalMs}ms`, "scrape_configs:"];
  for (const [job, ts] of jobs) {
    lines.push(`  - job_name: ${job}`, "    static_configs:");
    for (const t of ts) {
      lines.push(`      - targets: ["${t.address}"]`);
      const labels = Object.entries(t.labels);
      if (labels.length) lines.push(`        labels: { ${labels.map(([k, v]) => `${k}: "${v}"`).join(", ")} }`);
    }
  }
  return lines.join("\n") + "\n";
}

export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

/** A series of a range selector: [unix seconds, value] samples, ascending. */
export interface PromSeries {
  labels: Record<string, string>;
  values: Array<[number, number]>;
}

/** A small client for Prometheus' HTTP query API. */
export class PrometheusClient {
  constructor(readonly baseUrl: string) {}

  /** Instant query; NaN values are kept (a rate over no requests is NaN, not zero). */
  async query(promql: string): Promise<PromSample[]> {
    const data = await this.get<{ metric: Record<string, string>; value: [number, string] }>(promql);
    if (data.resultType === "scalar") {
      const v = data.result as unknown as [number, string];
      return [{ labels: {}, value: Number(v[1]) }];
    }
    return data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  }

  /** The raw samples of a range selector (`metric{...}[5000ms]`) evaluated at `atSeconds`: one series per label set, samples ascending. */
  async samples(selector: string, atSeconds: number): Promise<PromSeries[]> {
    const data = await this.get<{ metric: Record<string, string>; values: Array<[number, string]> }>(selector, atSeconds);
    if (data.resultType !== "matrix") throw new HarnessError("CONTAINER_FAILED", `Prometheus rejected ${selector}: a ${data.resultType} result, not a matrix`);
    return data.result.map((r) => ({ labels: r.metric, values: r.values.map(([t, v]): [number, number] => [t, Number(v)]) }));
  }

  /** One call of the query API (at `atSeconds`, or now), its data or a typed error. */
  private async get<R>(promql: string, atSeconds?: number): Promise<{ resultType: string; result: R[] }> {
    let body: { status: string; error?: string; data?: { resultType: string; result: R[] } };
    const time = atSeconds === undefined ? "" : `&time=${atSeconds.toFixed(3)}`;
    try {
      const res = await fetch(`${this.baseUrl}/api/v1/query?query=${encodeURIComponent(promql)}${time}`, { signal: AbortSignal.timeout(5000) });
      body = (await res.json()) as typeof body;
    } catch (e) {
      throw new HarnessError("CONTAINER_FAILED", `Prometheus query failed: ${errorMessage(e)}`, { hint: "read the prometheus log in the run folder" });
    }
    if (body.status !== "success" || !body.data) throw new HarnessError("CONTAINER_FAILED", `Prometheus rejected ${promql}: ${body.error ?? "unknown error"}`);
    return body.data;
  }

  /** One number from a query that yields at most one series; undefined when it yields none. */
  async scalar(promql: string): Promise<number | undefined> {
    const r = await this.query(promql);
    return r[0]?.value;
  }

  /** Targets Prometheus scrapes and whether they are up. */
  async targets(): Promise<ActiveTarget[]> {
    const res = await fetch(`${this.baseUrl}/api/v1/targets`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastError?: string }> } };
    return body.data.activeTargets.map((t) => ({ job: t.labels.job ?? "", instance: t.labels.instance ?? "", health: t.health, ...(t.lastError ? { lastError: t.lastError } : {}) }));
  }
}

export interface ActiveTarget {
  job: string;
  instance: string;
  health: string;
  /** Why its last scrape failed, as Prometheus says it. */
  lastError?: string;
}

/**
 * Why Prometheus is not scraping every expected target yet, or undefined
 * when it is: the targets it has not discovered, and each one down with
 * its last scrape error (what a timeout reports).
 */
export function scrapeShortfall(expected: readonly ScrapeTarget[], active: readonly ActiveTarget[]): string | undefined {
  const up = active.filter((t) => t.health === "up").length;
  if (active.length === expected.length && up === expected.length) return undefined;
  const known = new Set(active.map((t) => t.instance));
  const missing = expected.filter((t) => !known.has(t.address)).map((t) => `${t.job} ${t.address}`);
  const down = active.filter((t) => t.health !== "up").map((t) => `${t.job} ${t.instance} ${t.health}${t.lastError ? ` (${t.lastError})` : ""}`);
  return [
    `${up} of ${expected.length} targets up`,
    ...(missing.length ? [`not discovered yet: ${missing.join(", ")}`] : []),
    ...(down.length ? [`down: ${down.join("; ")}`] : []),
  ].join("; ");
}

/** Start Prometheus scraping the services' instances and, when given, the router's exporter; resolves once it has scraped every target. */
export async function startPrometheus(platform: Platform, services: readonly AddressedRole[], options: { scrapeIntervalMs: number; router?: string }): Promise<PrometheusClient> {
  const launched = await launchPrometheus(platform, services, options);
  await launched.scraping();
  return launched.client;
}

/**
 * Start Prometheus with its targets known up front, deployed or not yet:
 * our build hands them to its scrapers within 100 ms (upstream waits a
 * fixed 5 s: scripts/prometheus.patch) and scrapes each from the first
 * interval after it answers. `scraping()` resolves once every target has
 * been scraped: an analysis before that would see no data and judge nothing.
 */
export async function launchPrometheus(
  platform: Platform,
  services: readonly AddressedRole[],
  options: { scrapeIntervalMs: number; router?: string },
): Promise<{ client: PrometheusClient; scraping: (signal?: AbortSignal) => Promise<void> }> {
  const targets: ScrapeTarget[] = services.flatMap((s) => s.instances.map((i) => ({ job: "app", address: i.metricsAddress ?? i.address, labels: { role: s.role } })));
  if (options.router) targets.push({ job: "router", address: options.router, labels: {} });
  const component = await platform.startComponent({
    role: "prometheus",
    image: "prometheus",
    part: "monitoring",
    files: [{ path: "/etc/prometheus/prometheus.yml", content: prometheusConfig(targets, options.scrapeIntervalMs) }],
    ports: [PROMETHEUS_PORT],
    ready: { port: PROMETHEUS_PORT, path: "/-/ready" },
  });
  const e = component.endpoint(PROMETHEUS_PORT);
  const client = new PrometheusClient(`http://${e.host}:${e.port}`);
  const scraping = async (signal?: AbortSignal) => {
    await waitFor(
      async () => {
        // Thrown, so that a timeout says which target is missing or down, and why.
        const shortfall = scrapeShortfall(targets, await client.targets());
        if (shortfall) throw new Error(shortfall);
        return true;
      },
      { description: `Prometheus to scrape all ${targets.length} targets`, timeoutMs: 30_000, intervalMs: 100, hint: "read the prometheus log in the run folder's logs/", ...(signal ? { signal } : {}) },
    );
  };
  return { client, scraping };
}
