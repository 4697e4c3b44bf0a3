import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { TeardownStack } from "../cleanup/teardown.js";
import { TimeScale, systemClock } from "../common/clock.js";
import { newRunId } from "../common/labels.js";
import { ensureEngine } from "../engine/docker.js";
import { ImageBuilder } from "../images/builder.js";
import { ROOT } from "../common/paths.js";
import type { LoadProfile } from "../load/profile.js";
import { runLoad } from "../load/run-load.js";
import { DockerPlatform } from "../platforms/docker/docker-platform.js";
import { runScenario } from "../runner/run-scenario.js";
import { analysisTiming } from "../runner/strategy-run.js";
import { loadScenario, resolveScenarioPath } from "../scenario/load-scenario.js";
import { startRouter } from "../traffic/start-router.js";
import { median, percentile, type BenchFigure } from "./figures.js";

const RUNS = 10;
const SHIFTS = 10;
const SAFETY_RATE = 500;

/**
 * (a) canary-fail wall time, warm; (b) detection latency over 10 runs as a
 * ratio to the analysis interval; (c) router safety: 10 weight shifts
 * between two good versions under 500 req/s.
 */
export async function strategiesBench(signal: AbortSignal): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  await ensureEngine();
  const scenario = loadScenario(resolveScenarioPath("canary-fail"));
  const { intervalMs } = analysisTiming(scenario.strategy!, new TimeScale(scenario.timeScale));
  const runsDir = join(ROOT, "runs", "bench", "strategies");
  const walls: number[] = [];
  const ratios: number[] = [];
  const runs: unknown[] = [];
  for (let i = 0; i < RUNS; i++) {
    signal.throwIfAborted();
    const outcome = await runScenario(scenario, { signal, runsDir });
    const r = outcome.results;
    walls.push(r.wallSeconds);
    if (r.rollback?.detectedAfterSeconds != null) ratios.push((r.rollback.detectedAfterSeconds * 1000) / intervalMs);
    runs.push({ verdict: r.verdict, wallSeconds: r.wallSeconds, rollback: r.rollback });
    console.log(`canary-fail ${i + 1}/${RUNS}: ${r.verdict}, ${r.wallSeconds.toFixed(1)} s, detected after ${r.rollback?.detectedAfterSeconds ?? "n/a"} s`);
  }
  const safety = await routerSafety(signal);
  const passed = runs.filter((r) => (r as { verdict: string }).verdict === "passed").length;
  const figures: BenchFigure[] = [
    { name: "canary-fail wall time, warm (median of 10)", value: median(walls), unit: "s", target: "<= 30 s", met: median(walls) <= 30 },
    { name: "canary-fail runs passed", value: passed, unit: `of ${RUNS}` },
    { name: "detection latency / analysis interval (p95 of 10)", value: percentile(ratios, 95), unit: "intervals", target: "<= 2", met: ratios.length === RUNS && percentile(ratios, 95) <= 2 },
    { name: "detection latency / analysis interval (median)", value: median(ratios), unit: "intervals" },
    { name: `failed requests over ${SHIFTS} weight shifts at ${SAFETY_RATE} req/s`, value: safety.failed, unit: `of ${safety.requests}`, target: "0", met: safety.failed === 0 },
  ];
  return { figures, detail: { intervalMs, walls, ratios, runs, safety } };
}

async function routerSafety(signal: AbortSignal): Promise<{ requests: number; failed: number; shifts: number }> {
  const runId = newRunId("bench-router");
  const logDir = join(ROOT, "runs", "bench", "logs", runId);
  mkdirSync(logDir, { recursive: true });
  const teardown = new TeardownStack();
  const ctx = { runId, logDir, emit: () => undefined, teardown, images: new ImageBuilder({ pull: false }), signal };
  try {
    const platform = new DockerPlatform(ctx);
    const a = await platform.deploy({ role: "stable", version: "good-1", replicas: 1, faults: {}, database: undefined });
    const b = await platform.deploy({ role: "candidate", version: "good-2", replicas: 1, faults: {}, database: undefined });
    const router = await startRouter(platform, [a, b], { stable: 100, candidate: 0 });
    const profile: LoadProfile = {
      name: "router-safety",
      target: "router",
      executor: "constant-arrival-rate",
      rate: SAFETY_RATE,
      timeUnitMs: 1000,
      durationMs: (SHIFTS + 2) * 1000,
      requests: [{ method: "GET", path: "/health", weight: 1 }],
      timeoutMs: 5000,
      thresholds: [],
    };
    const stop = new AbortController();
    const load = runLoad(profile, { baseUrl: router.baseUrl, scale: new TimeScale(1), emit: () => undefined, signal, stop: stop.signal });
    let shifts = 0;
    await systemClock.sleep(1000, signal);
    for (let i = 0; i < SHIFTS; i++) {
      const toCandidate = i % 2 === 0 ? [10, 50, 100][i % 3]! : [0, 50, 90][i % 3]!;
      await router.setShares({ stable: 100 - toCandidate, candidate: toCandidate });
      shifts++;
      await systemClock.sleep(1000, signal);
    }
    const summary = await load;
    console.log(`router safety: ${summary.requests} requests, ${summary.failed} failed over ${shifts} shifts`);
    return { requests: summary.requests, failed: summary.failed, shifts };
  } finally {
    await teardown.runAll();
  }
}
