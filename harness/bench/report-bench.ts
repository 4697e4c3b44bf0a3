import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { htmlReport } from "../report/html-report.js";
import { RESULTS_SCHEMA_VERSION, type RunResults } from "../report/results.js";
import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { median, percentile, type BenchFigure } from "./figures.js";

const SPEC_SECONDS = 600;
const RUNS = 7;

/**
 * report.html for a 10-minute timeline at 1 s resolution with two versions
 * (the case): a canary at time scale 1 with every per-second figure
 * of both versions and of the whole load, an analysis and a router reading
 * each second, and the machine sampled twice a second. Times the report's
 * generation (median of 7) and its size; where Debian's Chromium is
 * installed, also the time from opening the file to every plot drawn.
 */
export async function reportBench(signal: AbortSignal): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  const events = benchTimeline();
  const results = benchResults();
  const times: number[] = [];
  let html = "";
  for (let i = 0; i < RUNS; i++) {
    signal.throwIfAborted();
    const t0 = performance.now();
    html = htmlReport(results, events, ["candidate.log", "stable.log"]);
    times.push(performance.now() - t0);
  }
  const bytes = Buffer.byteLength(html);
  const figures: BenchFigure[] = [
    { name: "report generation, median of 7", value: median(times) / 1000, unit: "s", target: "<= 1 s", met: median(times) <= 1000 },
    { name: "report.html size", value: bytes / 2 ** 20, unit: "MB", target: "<= 2 MB", met: bytes <= 2 * 2 ** 20 },
  ];
  const rendered = await renderTimes(html, signal);
  figures.push(
    rendered
      ? { name: "opened in Chromium to every plot drawn, median of 5", value: median(rendered) / 1000, unit: "s" }
      : { name: "opened in Chromium to every plot drawn", value: NaN, unit: "s", note: "not measured: no Chromium at /usr/bin/chromium (bash scripts/tools.sh chromium)" },
  );
  const live = await liveLatencies(signal);
  figures.push(
    live
      ? { name: `live page, event to page, p95 of ${live.length}`, value: percentile(live, 95), unit: "ms", target: "<= 500 ms", met: percentile(live, 95) <= 500 }
      : { name: "live page, event to page p95", value: NaN, unit: "ms", target: "<= 500 ms", note: "not measured: no Chromium at /usr/bin/chromium (bash scripts/tools.sh chromium)" },
  );
  if (live) figures.push({ name: "live page, event to page, median", value: median(live), unit: "ms" });
  return { figures, detail: { events: events.length, generationMs: times.map((t) => Math.round(t * 10) / 10), renderMs: rendered?.map((t) => Math.round(t)), liveMs: live } };
}

/** Debian's Chromium through playwright-core, where both are installed. */
async function browserOrNone(): Promise<import("playwright-core").Browser | undefined> {
  const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) return undefined;
  try {
    const { chromium } = await import("playwright-core");
    return await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  } catch {
    return undefined; // a production install without the dev dependencies
  }
}

/**
 * The live page on a real server in a real browser: 100 events published 40 ms
 * apart (the timeline's pace in a busy run), each timed from its publication
 * to its line in the page (both clocks are this machine's wall clock).
 */
async function liveLatencies(signal: AbortSignal): Promise<number[] | undefined> {
  const browser = await browserOrNone();
  if (!browser) return undefined;
  const { startLiveServer } = await import("../live/server.js");
  const { OperatorDesk } = await import("../runner/operator-desk.js");
  const server = await startLiveServer({ scenario: "live-bench", platform: "docker", timeScale: 1, desk: new OperatorDesk("docker"), abort: () => undefined, versions: { stable: "good-1" } });
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    // In the page (no DOM types here: the harness is compiled for Node).
    await page.evaluate(() => {
      const g = globalThis as any;
      const seen: Record<string, number> = {};
      g.liveSeen = seen;
      new g.MutationObserver((records: any[]) => {
        for (const r of records) r.addedNodes.forEach((n: any) => (seen[String(n.textContent).replace(/^.*bench event /, "")] = Date.now()));
      }).observe(g.document.getElementById("log"), { childList: true });
    });
    const sent: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 100; i++) {
      signal.throwIfAborted();
      await new Promise((r) => setTimeout(r, 40));
      sent.push(Date.now());
      server.publish({ type: "note", level: "info", message: `bench event ${i}`, t: (Date.now() - t0) / 1000, specT: (Date.now() - t0) / 1000, at: new Date().toISOString() } as Stamped);
    }
    await page.waitForFunction(() => Object.keys((globalThis as unknown as { liveSeen: Record<string, number> }).liveSeen).length >= 100, undefined, { timeout: 10_000 });
    const seen = await page.evaluate(() => (globalThis as unknown as { liveSeen: Record<string, number> }).liveSeen);
    return sent.map((s, i) => seen[String(i)]! - s);
  } finally {
    await server.close();
    await browser.close();
  }
}

async function renderTimes(html: string, signal: AbortSignal): Promise<number[] | undefined> {
  const browser = await browserOrNone();
  if (!browser) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "report-bench-"));
  try {
    writeFileSync(join(dir, "report.html"), html);
    const out: number[] = [];
    for (let i = 0; i < 5; i++) {
      signal.throwIfAborted();
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const t0 = performance.now();
      await page.goto(`file://${join(dir, "report.html")}`);
      await page.waitForFunction(() => (globalThis as unknown as { gamedayPlots?: unknown[] }).gamedayPlots !== undefined);
      out.push(performance.now() - t0);
      await page.close();
    }
    return out;
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bench's timeline: 10 spec minutes of a canary at time scale 1, every second. */
export function benchTimeline(): Stamped[] {
  const events: Stamped[] = [];
  const add = (t: number, e: TimelineEvent) => events.push({ ...e, t, specT: t, at: new Date(Date.UTC(2026, 11, 1) + t * 1000).toISOString() } as Stamped);
  const start = 8;
  add(start - 0.5, {
    type: "strategy.started",
    strategy: "canary",
    stages: [
      { name: "canary-10", percentage: 10, specSeconds: 240, wallSeconds: 240, criteria: { errorRate: "<1%", responseTime: "<500ms" } },
      { name: "canary-50", percentage: 50, specSeconds: 360, wallSeconds: 360, criteria: { errorRate: "<0.5%", responseTime: "<300ms" } },
    ],
    triggers: { errorRate: ">5%", responseTime: ">2s", healthCheckFailures: 3 },
    intervalSeconds: 1,
    windowSeconds: 2,
    rollbackStrategy: "immediate",
  });
  add(start, { type: "load.started", phase: "load", target: "router", executor: "constant-arrival-rate", plannedRequests: 200 * SPEC_SECONDS });
  add(start, { type: "stage.started", stage: "canary-10", percentage: 10 });
  for (let s = 0; s < SPEC_SECONDS; s++) {
    const t = start + s + 1;
    const share = s < 240 ? 10 : 50;
    if (s === 240) add(t - 1, { type: "stage.started", stage: "canary-50", percentage: 50 });
    const second = (version: string, requests: number, p95: number) =>
      add(t, { type: "load.second", phase: "load", second: s, version, requests, failed: s % 97 === 0 ? 1 : 0, codes: { "200": requests }, p50: p95 / 2, p95, p99: p95 * 1.2, max: p95 * 1.5, ...(version === "*" ? { asked: 200, lagMs: 3 } : {}) });
    second("good-1", 200 - 2 * share, 20 + (s % 7));
    second("good-2", 2 * share, 24 + (s % 11));
    second("*", 200, 25);
    add(t, { type: "router.observed", shares: { stable: 100 - share, candidate: share } });
    add(t, { type: "analysis.evaluated", stage: share === 10 ? "canary-10" : "canary-50", version: "good-2", requests: 4 * share, errorRate: 0, latencyMs: 24, statistic: "p95", healthFailures: 0, windowSeconds: 2, verdict: "pass", errorRateInterval: [0, 0.01], latencyInterval: [22, 26] });
    add(t - 0.5, { type: "host.sampled", cpu: 0.4, engineCpu: 0.3, loopDelayMs: 11, loopMaxMs: 20, cores: 2 });
    add(t, { type: "host.sampled", cpu: 0.45, engineCpu: 0.32, loopDelayMs: 12, loopMaxMs: 22, cores: 2 });
  }
  add(start + SPEC_SECONDS + 1, { type: "strategy.finished", result: "promoted" });
  return events;
}

export function benchResults(): RunResults {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: "20261201-000000-report-bench-0000",
    scenario: "report-bench",
    file: "(generated)",
    platform: "docker",
    versions: { stable: "good-1", candidate: "good-2" },
    verdict: "passed",
    exitCode: 0,
    timeScale: 1,
    seed: 1,
    strategy: { result: "promoted" },
    startedAt: "2026-12-01T00:00:00.000Z",
    wallSeconds: SPEC_SECONDS + 12,
    specSeconds: SPEC_SECONDS + 12,
    expectations: [{ id: "promoted", description: "the candidate is promoted", held: true, evidence: "promoted after canary-50" }],
    rollback: null,
    load: [{ phase: "load", requests: 200 * SPEC_SECONDS, failed: 7, achievedRate: 200, stoppedBy: "completed", thresholds: [] }],
    error: null,
    teardownFailures: [],
  };
}
