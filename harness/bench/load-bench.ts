import { mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { sweep } from "../cleanup/sweep.js";
import { TeardownStack } from "../cleanup/teardown.js";
import { TimeScale, waitFor } from "../common/clock.js";
import { HarnessError } from "../common/errors.js";
import { adminFaults } from "../faults/set-faults.js";
import { exec } from "../common/exec.js";
import { newRunId } from "../common/labels.js";
import { configureTestcontainers, ensureEngine } from "../engine/docker.js";
import { ImageBuilder } from "../images/builder.js";
import { ROOT } from "../common/paths.js";
import { histogramQuantile } from "../analysis/histogram-quantile.js";
import type { LoadProfile, LoadRequest } from "../load/profile.js";
import { runLoad } from "../load/run-load.js";
import { DockerPlatform } from "../platforms/docker/docker-platform.js";
import { httpGet } from "../probes/http-probe.js";
import { parsePrometheusText, type Sample } from "../probes/prometheus-text.js";
import type { BenchFigure } from "./figures.js";

const RATES = [200, 1000, 2000];
const RATE_SECONDS = 30;
const LATENCY_RATE = 500;
const LATENCY_SECONDS = 30;
/**
 * A latency fault spread evenly over exactly one bucket of the service's
 * histogram (0.1-0.25 s). histogram_quantile assumes observations are spread
 * evenly within a bucket; here they are, so the service's p95 is known to a
 * fraction of a millisecond and the comparison measures the generator, not
 * the histogram's resolution.
 */
const LATENCY_FAULT = { latencyMs: 100, latencyJitterMs: 150 };
const HEADROOM_STEPS = [500, 1000, 1500, 2000, 3000, 4000];
const HEADROOM_SECONDS = 10;
const ROUTE = "/api/evaluations";

/**
 * The load generator measured against good-1 in Docker: (a) how close it
 * comes to the asked rate, (b) whether its p95 agrees with the service's own
 * latency histogram, (c) the highest rate it sustains with < 1% errors,
 * compared with wrk's closed-loop maximum on the same target.
 */
export async function loadBench(signal: AbortSignal): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  await ensureEngine();
  configureTestcontainers();
  const runId = newRunId("bench-load");
  const logDir = join(ROOT, "runs", "bench", "logs", runId);
  mkdirSync(logDir, { recursive: true });
  const teardown = new TeardownStack();
  const platform = new DockerPlatform({ runId, logDir, emit: () => undefined, teardown, images: new ImageBuilder({ pull: false }), signal });
  try {
    // No database: /health does not need one, and without it GET /api/evaluations answers 503 right after the latency
    // fault, so its latency is the fault's alone (a database under 500 req/s adds a queueing tail of its own).
    console.log("starting good-1...");
    const service = await platform.deploy({ role: "bench", version: "good-1", replicas: 1, faults: {}, database: undefined });
    const base = service.instances[0]!.baseUrl;
    await waitFor(async () => ((await httpGet(`${base}/health`)).status === 200 ? true : undefined), { description: "good-1 to answer", timeoutMs: 30_000, signal });

    /** The machine's 1-minute load average when each phase started: other work on the machine shows here. */
    const loads: Record<string, number> = {};
    /** Transport errors by kind, per phase: what went wrong when requests failed. */
    const errors: Record<string, Record<string, number>> = {};
    const run = async (name: string, rate: number, seconds: number, requests: LoadRequest[], timeoutMs = 5000) => {
      const seen: Record<string, number> = {};
      const load = loadavg()[0]!;
      const perSecond: number[] = [];
      const s = await runLoad(constant(name, rate, seconds, requests, timeoutMs), {
        baseUrl: base,
        scale: new TimeScale(1),
        emit: (e) => void (e.type === "load.second" && e.version === "*" && perSecond.push(e.requests)),
        signal,
        onResult: (r) => {
          if (r.error) {
            const kind = r.error.replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT").replace(/"[^"]*"/g, '"..."').slice(0, 160);
            seen[kind] = (seen[kind] ?? 0) + 1;
          }
        },
      });
      errors[name] = seen;
      if (Object.keys(seen).length > 0) console.log(`  transport errors: ${JSON.stringify(seen)}`);
      if ((await httpGet(`${base}/health`)).status !== 200) {
        throw new HarnessError("CONTAINER_FAILED", `good-1 no longer answers /health after the ${name} phase`, {
          hint: "another process may have removed the bench's containers (npm run clean, or npm test's leak check, on the same engine); run the bench alone",
        });
      }
      loads[name] = load;
      return { ...s, perSecond: { min: Math.min(...perSecond), max: Math.max(...perSecond) } };
    };

    // (a) rate accuracy
    const accuracy: Array<{ rate: number; achieved: number; ratio: number; requests: number; failed: number; p95: number; perSecond: { min: number; max: number } }> = [];
    for (const rate of RATES) {
      console.log(`rate accuracy: ${rate} req/s for ${RATE_SECONDS} s against GET /health...`);
      const s = await run(`rate-${rate}`, rate, RATE_SECONDS, [{ method: "GET", path: "/health", weight: 1 }]);
      accuracy.push({ rate, achieved: s.achievedRate, ratio: s.achievedRate / rate, requests: s.requests, failed: s.failed, p95: s.overall.latencyMs.p95, perSecond: s.perSecond });
      console.log(
        `  achieved ${s.achievedRate.toFixed(1)} req/s (${(s.achievedRate / rate).toFixed(4)}), seconds ${s.perSecond.min}..${s.perSecond.max} requests, ${s.failed} failed, p95 ${s.overall.latencyMs.p95.toFixed(1)} ms`,
      );
    }

    // (b) latency agreement with the service's histogram
    console.log(`latency agreement: ${LATENCY_RATE} req/s for ${LATENCY_SECONDS} s against GET ${ROUTE} with latency ${LATENCY_FAULT.latencyMs} ms + jitter ${LATENCY_FAULT.latencyJitterMs} ms (no database: 503 after the delay)...`);
    await adminFaults(base, "PUT", LATENCY_FAULT);
    let latency: { generatorP95: number; serviceP95: number; relativeDifference: number; requests: number; failed: number; buckets: Array<[string, number]> };
    try {
      const before = await scrape(base);
      const s = await run("latency", LATENCY_RATE, LATENCY_SECONDS, [{ method: "GET", path: ROUTE, weight: 1 }]);
      if (s.overall.codes["503"] !== s.requests) console.log(`  note: expected only 503 answers (no database), got ${JSON.stringify(s.overall.codes)}`);
      const after = await scrape(base);
      const buckets = bucketDeltas(before, after, ROUTE);
      const serviceP95 = histogramQuantile(0.95, buckets) * 1000;
      const generatorP95 = s.overall.latencyMs.p95;
      latency = {
        generatorP95,
        serviceP95,
        relativeDifference: Math.abs(generatorP95 - serviceP95) / serviceP95,
        requests: s.requests,
        failed: s.failed,
        buckets: buckets.map(([le, n]) => [String(le), n]),
      };
      console.log(`  generator p95 ${generatorP95.toFixed(1)} ms, service histogram p95 ${serviceP95.toFixed(1)} ms (${s.requests} requests, answered ${JSON.stringify(s.overall.codes)})`);
    } finally {
      await adminFaults(base, "PUT", { latencyMs: 0, latencyJitterMs: 0 });
    }

    // (c) headroom, then wrk on the same target
    const steps: Array<{ rate: number; achieved: number; failedRate: number; sustained: boolean }> = [];
    for (const rate of HEADROOM_STEPS) {
      console.log(`headroom: ${rate} req/s for ${HEADROOM_SECONDS} s...`);
      const s = await run(`headroom-${rate}`, rate, HEADROOM_SECONDS, [{ method: "GET", path: "/health", weight: 1 }], 2000);
      const sustained = s.overall.failedRate < 0.01 && s.achievedRate >= 0.95 * rate;
      steps.push({ rate, achieved: s.achievedRate, failedRate: s.overall.failedRate, sustained });
      console.log(`  achieved ${s.achievedRate.toFixed(0)} req/s, ${(s.overall.failedRate * 100).toFixed(2)}% failed, p95 ${s.overall.latencyMs.p95.toFixed(1)} ms${sustained ? "" : " -> not sustained, stopping"}`);
      if (!sustained) break;
    }
    const best = [...steps].reverse().find((s) => s.sustained);
    const ladderTopped = steps.length === HEADROOM_STEPS.length && steps.every((s) => s.sustained);
    if (ladderTopped) console.log(`  every step held up to ${HEADROOM_STEPS[HEADROOM_STEPS.length - 1]} req/s: the vegeta/wrk ratio below is a lower bound`);
    console.log("wrk: 2 threads, 50 connections, 10 s against GET /health...");
    await exec("bash", [`${ROOT}scripts/tools.sh`, "wrk"], { signal, hint: "wrk is a Debian package: apt-get install wrk" });
    const wrkOut = (await exec("wrk", ["-t2", "-c50", "-d10s", `${base}/health`], { signal, timeoutMs: 60_000 })).stdout;
    const wrkRps = Number(/Requests\/sec:\s+([\d.]+)/.exec(wrkOut)?.[1] ?? NaN);
    console.log(`  wrk: ${wrkRps.toFixed(0)} req/s`);

    const figures: BenchFigure[] = [
      ...accuracy.map((a) => ({ name: `rate accuracy at ${a.rate} req/s (achieved/asked)`, value: a.ratio, unit: "", target: ">= 0.99", met: a.ratio >= 0.99 })),
      { name: "p95, generator", value: latency.generatorP95, unit: "ms" },
      { name: "p95, service histogram", value: latency.serviceP95, unit: "ms" },
      { name: "p95 difference (relative)", value: latency.relativeDifference, unit: "", target: "<= 0.10", met: latency.relativeDifference <= 0.1 },
      { name: `highest sustained rate, vegeta${ladderTopped ? " (every step held)" : ""}`, value: best?.achieved ?? 0, unit: "req/s" },
      { name: "wrk closed-loop maximum", value: wrkRps, unit: "req/s" },
      { name: "headroom vegeta/wrk", value: (best?.achieved ?? 0) / wrkRps, unit: "" },
    ];
    return { figures, detail: { accuracy, latency, latencyFault: LATENCY_FAULT, headroom: { steps, ladderTopped }, wrk: { requestsPerSecond: wrkRps, output: wrkOut }, errors, loadAverage: loads } };
  } finally {
    await teardown.runAll();
    await sweep(runId);
  }
}

function constant(name: string, rate: number, seconds: number, requests: LoadRequest[], timeoutMs: number): LoadProfile {
  return { name, target: "bench", executor: "constant-arrival-rate", rate, timeUnitMs: 1000, durationMs: seconds * 1000, requests, timeoutMs, thresholds: [] };
}

async function scrape(base: string): Promise<Sample[]> {
  const o = await httpGet(`${base}/metrics`, { keepText: true, timeoutMs: 5000 });
  if (o.status !== 200 || o.text === undefined) throw new Error(`GET /metrics answered ${o.status ?? o.error}`);
  return parsePrometheusText(o.text);
}

/** Cumulative bucket counts of http_request_duration_seconds for a route (all methods, codes, versions), after minus before, by upper bound. */
export function bucketDeltas(before: Sample[], after: Sample[], route: string): Array<[number, number]> {
  const sum = (samples: Sample[]) => {
    const byLe = new Map<number, number>();
    for (const s of samples) {
      if (s.name !== "http_request_duration_seconds_bucket" || s.labels.route !== route || s.labels.le === undefined) continue;
      const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
      byLe.set(le, (byLe.get(le) ?? 0) + s.value);
    }
    return byLe;
  };
  const a = sum(after);
  const b = sum(before);
  return [...a.entries()].map(([le, n]): [number, number] => [le, n - (b.get(le) ?? 0)]).sort(([x], [y]) => x - y);
}
