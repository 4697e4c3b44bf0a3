import { join } from "node:path";
import { PrometheusAnalysis } from "../analysis/analysis.js";
import { bucketsEnv } from "../analysis/latency-buckets.js";
import { startPrometheus } from "../analysis/prometheus.js";
import { TimeScale, systemClock } from "../common/clock.js";
import { HarnessError } from "../common/errors.js";
import { ROOT } from "../common/paths.js";
import { runStrategy } from "../controller/controller.js";
import { stagesFor } from "../document/stages.js";
import { ensureEngine } from "../engine/docker.js";
import type { RequestResult } from "../load/load-generator.js";
import type { LoadProfile } from "../load/profile.js";
import { runLoad } from "../load/run-load.js";
import type { DecisionPolicy } from "../model/strategy.js";
import { DockerPlatform } from "../platforms/docker/docker-platform.js";
import { SCRAPE_INTERVAL_MS, analysisTiming } from "../runner/strategy-run.js";
import { standaloneContext } from "../runner/standalone-context.js";
import { loadScenario, resolveScenarioPath } from "../scenario/load-scenario.js";
import type { TimelineEvent } from "../timeline/events.js";
import { HAPROXY_PORTS } from "../traffic/haproxy-router.js";
import { startRouter } from "../traffic/start-router.js";
import { adminFaults } from "../faults/set-faults.js";
import { median, percentile, type BenchFigure } from "./figures.js";

const THRESHOLDS_MS = [300, 500, 2000] as const;
const POLICIES: readonly DecisionPolicy[] = ["literal", "significant"];
/** How long each latency trial sends the candidate its share of the load. */
const BURST_MS = 2000;

/**
 * Verdict fidelity on one real stack (PostgreSQL, good-1 and good-2 behind
 * HAProxy, Prometheus scraping them, vegeta at the shipped blue-green
 * scenario's rate), with the candidate's faults and seed set through its
 * admin API for each trial:
 * (a) near each of the document's latency thresholds, the analysis's p95 of
 *     a burst of the candidate's requests against the exact p95 of the same
 *     requests (the time the service took, from its Server-Timing): largest
 *     relative error, windows on the wrong side of the threshold;
 * (b) blue-green with a candidate at half the error-rate trigger (2.5%):
 *     false rollbacks per policy;
 * (c) blue-green with a candidate at twice it (10%): detections per policy
 *     and detection latency in analysis intervals.
 */
export async function analysisBench(signal: AbortSignal, args: readonly string[]): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  let seeds = 20;
  let only: "latency" | "errors" | undefined;
  for (const a of args) {
    const m = /^--seeds=(\d+)$/.exec(a);
    const o = /^--only=(latency|errors)$/.exec(a);
    if (m && Number(m[1]) >= 2) seeds = Number(m[1]);
    else if (o) only = o[1] as "latency" | "errors";
    else throw new HarnessError("USAGE", `bench analysis does not know ${a}`, { hint: "npm run bench -- analysis [--seeds=20] [--only=latency|errors]" });
  }
  await ensureEngine();
  const scenario = loadScenario(resolveScenarioPath("bluegreen-fail"));
  const spec = scenario.spec;
  const scale = new TimeScale(scenario.timeScale);
  const strategy = scenario.strategy!;
  const { intervalMs, windowMs } = analysisTiming(strategy, scale);
  const ctx = standaloneContext("bench-analysis", { logRoot: join(ROOT, "runs", "bench", "logs"), signal, reaper: true });
  const results: RequestResult[] = [];
  const stopLoad = new AbortController();
  try {
    const platform = new DockerPlatform(ctx);
    const database = await platform.startDatabase();
    const deploy = (role: string, version: string) => platform.deploy({ role, version, replicas: 1, faults: {}, database, env: bucketsEnv(spec), seed: 1 });
    const stable = await deploy("stable", "good-1");
    const candidate = await deploy("candidate", "good-2");
    const router = await startRouter(platform, [stable, candidate], { stable: 50, candidate: 50 });
    const prometheus = await startPrometheus(platform, [stable, candidate], { scrapeIntervalMs: SCRAPE_INTERVAL_MS, router: router.metricsAddress ?? `router:${HAPROXY_PORTS.metrics}` });
    const analysis = new PrometheusAnalysis(prometheus, "p95", SCRAPE_INTERVAL_MS);
    const rate = scenario.load!.rate ?? 200;
    const profile: LoadProfile = { name: "bench", target: "router", executor: "constant-arrival-rate", rate, timeUnitMs: 1000, durationMs: 4 * 3600_000, requests: [{ method: "GET", path: "/api/evaluations", weight: 1 }], timeoutMs: 5000, thresholds: [] };
    const load = runLoad(profile, { baseUrl: router.baseUrl, scale: new TimeScale(1), emit: () => undefined, runId: ctx.runId, signal, stop: stopLoad.signal, onResult: (r) => void (r.version === candidate.version && results.push(r)) });
    load.catch(() => undefined);
    const settle = () => systemClock.sleep(windowMs + 3 * SCRAPE_INTERVAL_MS, signal);
    const setFaults = (body: Record<string, unknown>) => adminFaults(candidate.instances[0]!.baseUrl, "PUT", body);

    // (a) latency near each threshold: from 0.85 to 1.15 of it over the seeds, 5% jitter. Each trial is a burst of the
    // candidate's own (its weight up for BURST_MS, then 0), measured once every request of it is answered and scraped:
    // the analysis's window and the exact p95 then count the same requests.
    const latency: Record<string, { maxError: number; inScope: number; wrongSide: number; trials: Array<{ seed: number; exact: number; client: number; analysis: number; requests: number }> }> = {};
    for (const t of only === "errors" ? [] : THRESHOLDS_MS) {
      const trials: Array<{ seed: number; exact: number; client: number; analysis: number; requests: number }> = [];
      const quiet = () => systemClock.sleep(t * 1.6 + 4 * SCRAPE_INTERVAL_MS, signal);
      for (let seed = 1; seed <= seeds; seed++) {
        const target = t * (0.85 + (0.3 * (seed - 1)) / (seeds - 1));
        await router.setShares({ stable: 100, candidate: 0 });
        await setFaults({ latencyMs: target * 0.95, latencyJitterMs: target * 0.05, errorRate: 0, seed });
        await quiet();
        const from = Date.now();
        await router.setShares({ stable: 50, candidate: 50 });
        await systemClock.sleep(BURST_MS, signal);
        await router.setShares({ stable: 100, candidate: 0 });
        await quiet();
        const burst = results.filter((r) => r.at >= from);
        const m = await analysis.measure(candidate.version, Date.now() - from + 1000);
        const exact = p95(burst.map((r) => r.serverMs ?? r.latencyMs));
        const client = p95(burst.map((r) => r.latencyMs));
        if (m.latencyMs === undefined || exact === undefined) continue;
        trials.push({ seed, exact, client: client!, analysis: m.latencyMs, requests: burst.length });
        console.log(`latency near ${t} ms, seed ${seed}: exact p95 ${exact.toFixed(1)} ms in the service (${client!.toFixed(1)} ms at the client), analysis ${m.latencyMs.toFixed(1)} ms, ${burst.length} requests (Prometheus: ${Math.round(m.requests)})`);
      }
      latency[t] = {
        // The issue's bound holds where the true value is within 20% of a threshold; a busy machine can push a trial past that.
        maxError: Math.max(0, ...trials.filter((x) => Math.abs(x.exact - t) <= 0.2 * t).map((x) => Math.abs(x.analysis - x.exact) / x.exact)),
        inScope: trials.filter((x) => Math.abs(x.exact - t) <= 0.2 * t).length,
        wrongSide: trials.filter((x) => x.analysis < t !== x.exact < t).length,
        trials,
      };
    }

    // (b) and (c): the document's blue-green, at the scenario's time scale, per policy and seed.
    const bluegreen = async (errorRate: number, policy: DecisionPolicy, seed: number) => {
      await router.setShares({ stable: 100, candidate: 0 });
      await setFaults({ latencyMs: 0, latencyJitterMs: 0, errorRate, seed });
      await settle();
      const events: TimelineEvent[] = [];
      const started = Date.now();
      const outcome = await runStrategy({
        strategy: "blue-green",
        stages: stagesFor("blue-green", spec),
        triggers: spec.rollback,
        rollbackStrategy: "immediate",
        stable,
        candidate,
        router,
        analysis,
        healthPath: spec.blueGreen.healthCheckPath,
        healthCheckTimeoutMs: spec.blueGreen.healthCheckTimeoutMs,
        intervalMs,
        windowMs,
        minRequests: strategy.minRequests,
        policy,
        scale,
        clock: systemClock,
        emit: (e) => void events.push(e),
        signal,
      });
      const intervals = outcome.rollback ? (outcome.rollback.decidedAt - started) / intervalMs : undefined;
      console.log(`blue-green at ${errorRate * 100}% errors, ${policy}, seed ${seed}: ${outcome.result}${intervals !== undefined ? ` after ${intervals.toFixed(2)} intervals` : ""}`);
      return { seed, result: outcome.result, intervals };
    };
    const errors: Record<string, Record<DecisionPolicy, Array<Awaited<ReturnType<typeof bluegreen>>>>> = {};
    for (const errorRate of only === "latency" ? [] : [0.025, 0.1]) {
      errors[errorRate] = { literal: [], significant: [] };
      for (const policy of POLICIES) for (let seed = 1; seed <= seeds; seed++) errors[errorRate]![policy].push(await bluegreen(errorRate, policy, seed));
    }

    const figures: BenchFigure[] = [];
    for (const t of only === "errors" ? [] : THRESHOLDS_MS) {
      const l = latency[t]!;
      figures.push({ name: `p95 near ${t} ms: largest relative error vs the exact p95 (the ${l.inScope} of ${l.trials.length} seeds whose exact p95 is within 20% of ${t} ms)`, value: Math.round(l.maxError * 10000) / 100, unit: "%", target: "<= 5%", met: l.maxError <= 0.05 });
      figures.push({ name: `p95 near ${t} ms: windows on the wrong side of ${t} ms`, value: l.wrongSide, unit: `of ${l.trials.length}`, target: "0", met: l.wrongSide === 0 });
    }
    for (const policy of only === "latency" ? [] : POLICIES) {
      const half = errors[0.025]![policy];
      const rolled = half.filter((r) => r.result === "rolled-back").length;
      figures.push({
        name: `blue-green, candidate at 2.5% errors (half the >5% trigger), ${policy}: false rollbacks`,
        value: rolled,
        unit: `of ${seeds} (${half.filter((r) => r.result === "inconclusive").length} inconclusive)`,
        ...(policy === "significant" ? { target: `<= 1 of 20`, met: rolled / seeds <= 1 / 20 } : {}),
      });
    }
    for (const policy of only === "latency" ? [] : POLICIES) {
      const twice = errors[0.1]![policy];
      const detected = twice.filter((r) => r.result === "rolled-back");
      figures.push({ name: `blue-green, candidate at 10% errors (twice the trigger), ${policy}: rolled back`, value: detected.length, unit: `of ${seeds}`, target: "all", met: detected.length === seeds });
      figures.push({ name: `blue-green, candidate at 10% errors, ${policy}: detection latency (median)`, value: Math.round(median(detected.map((r) => r.intervals!)) * 100) / 100, unit: "analysis intervals" });
    }
    return { figures, detail: { seeds, rate, intervalMs, windowMs, latency, errors } };
  } finally {
    stopLoad.abort();
    await ctx.dispose();
  }
}

/** The exact p95 (nearest rank) of a sample, when there is one. */
function p95(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : percentile(values, 95);
}
