import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser.js";
import { passingRun } from "./cli.js";

// report.html of a real canary-fail run, opened in a real browser (Debian's Chromium through playwright-core):
// it loads offline with no console error, every plot holds the run's own data points, and the markers and
// threshold lines sit where the timeline and the document put them.

interface PlotView {
  title: string;
  xs: number[];
  series: Array<{ label: string; ys: Array<number | null | undefined> }>;
  xMin: number;
  xMax: number;
  yMax: number;
  width: number;
  height: number;
  markers: Array<{ event: string; t: number; label: string; left: number }>;
  thresholds: Array<{ value: number; label: string; top: number }>;
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => browser?.close());

async function plotsOf(page: Page): Promise<PlotView[]> {
  return page.evaluate(() =>
    (globalThis as unknown as { gamedayPlots: Array<{ title: string; plot: any }> }).gamedayPlots.map(({ title, plot: u }) => ({
      title,
      xs: [...u.data[0]],
      series: u.series.slice(1).map((s: { label: string }, i: number) => ({ label: s.label, ys: [...u.data[i + 1]] })),
      xMin: u.scales.x.min,
      xMax: u.scales.x.max,
      yMax: u.scales.y.max,
      width: u.over.clientWidth,
      height: u.over.clientHeight,
      markers: [...u.over.querySelectorAll(".marker")].map((m: any) => ({ event: m.dataset.event, t: Number(m.dataset.t), label: m.dataset.label, left: m.offsetLeft })),
      thresholds: [...u.over.querySelectorAll(".threshold")].map((m: any) => ({ value: Number(m.dataset.value), label: m.dataset.label, top: m.offsetTop })),
    })),
  );
}

/** The value a plot draws for a series at x (the step starting there). */
function valueAt(plot: PlotView, label: string, x: number): number | null | undefined {
  const series = plot.series.find((s) => s.label === label);
  const i = plot.xs.findIndex((v) => Math.abs(v - x) < 1e-6);
  return series && i >= 0 ? series.ys[i] : undefined;
}

describe("report.html in a browser", () => {
  it("canary-fail: loads with no console error, plots the run's data, and puts markers and thresholds where the events say", async () => {
    const { run, events, results } = await passingRun(["scenario", "canary-fail"]);
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("request", (r) => !r.url().startsWith("file:") && errors.push(`fetched ${r.url()}: the report must work offline`));
    await page.goto(`file://${join(run.runDir!, "report.html")}`);
    const plots = await plotsOf(page);
    expect(errors).toEqual([]);
    const plot = (title: RegExp) => {
      const p = plots.find((x) => title.test(x.title));
      expect(p, `a plot titled ${title} among ${plots.map((x) => x.title).join("; ")}`).toBeDefined();
      return p!;
    };
    const tEnd = events.at(-1)!.t;

    // Every second of load, per version, at its own second: error rate and p95.
    const loadStarted = events.find((e) => e.type === "load.started")!.t;
    const seconds = events.filter((e) => e.type === "load.second" && e.version !== "*" && e.version !== "(none)" && (e.requests as number) > 0);
    expect(seconds.length).toBeGreaterThan(4);
    const errorsPlot = plot(/^Error rate per second/);
    const latencyPlot = plot(/^p95 latency per second/);
    for (const s of seconds) {
      const x = loadStarted + (s.second as number);
      expect(valueAt(errorsPlot, s.version as string, x), `${String(s.version)} second ${String(s.second)}`).toBeCloseTo((100 * (s.failed as number)) / (s.requests as number), 6);
      expect(valueAt(latencyPlot, s.version as string, x)).toBeCloseTo(s.p95 as number, 6);
    }
    // The router's shares as read back, each at its time.
    const sharesPlot = plot(/^Traffic share/);
    for (const o of events.filter((e) => e.type === "router.observed")) {
      for (const [role, share] of Object.entries(o.shares as Record<string, number>)) expect(valueAt(sharesPlot, role, o.t)).toBeCloseTo(share, 6);
    }
    // Each analysis of the controller, even the single one before the rollback, is a point.
    const analyses = events.filter((e) => e.type === "analysis.evaluated" && e.errorRate !== null);
    expect(analyses.length).toBeGreaterThan(0);
    const analysisPlot = plot(/^Candidate error rate as the controller's analysis saw it/);
    for (const a of analyses) expect(valueAt(analysisPlot, a.version as string, a.t)).toBeCloseTo(100 * (a.errorRate as number), 6);

    // Markers: the stage and the rollback on every traffic plot, at the pixel their time maps to on a shared axis from 0 to the run's end.
    const marked = (type: string) => events.filter((e) => e.type === type);
    const decided = marked("rollback.decided");
    expect(decided).toHaveLength(1);
    for (const p of [errorsPlot, latencyPlot, sharesPlot, analysisPlot]) {
      expect([p.xMin, p.xMax]).toEqual([0, tEnd]);
      for (const e of [...marked("stage.started"), ...decided, ...marked("rollback.completed")]) {
        const m = p.markers.find((x) => x.event === e.type && Math.abs(x.t - e.t) < 1e-9);
        expect(m, `${p.title}: a marker for ${e.type} at ${e.t}`).toBeDefined();
        expect(Math.abs(m!.left - (e.t / tEnd) * p.width), `${p.title}: ${m!.label}`).toBeLessThanOrEqual(1.5);
      }
    }
    // Threshold lines: the document's rollback trigger (>5%) and canary-10's criterion (<1%), at their height.
    for (const [value, label] of [[5, "rollback trigger >5%"], [1, "canary-10 <1%"]] as const) {
      const line = errorsPlot.thresholds.find((x) => x.label === label);
      expect(line, `${label} among ${errorsPlot.thresholds.map((x) => x.label).join(", ")}`).toBeDefined();
      expect(line!.value).toBe(value);
      expect(Math.abs(line!.top - (1 - value / errorsPlot.yMax) * errorsPlot.height)).toBeLessThanOrEqual(1.5);
    }
    expect(latencyPlot.thresholds.map((x) => x.label)).toEqual(expect.arrayContaining(["rollback trigger >2s", "canary-10 <500ms"]));

    // The page says what ran, where, and what the load did, with units.
    const text = await page.textContent("body");
    expect(text).toMatch(/harnesscommit [0-9a-f]{12}/);
    expect(text).toMatch(/host.+: \d+ cores, [\d.]+ GiB/);
    expect(text).toMatch(/\d+\.\d req\/s/);
    expect(text).toMatch(/p95 per second, worst/);
    // The SBOM of every image the run used, in the run folder and linked from the page: SPDX JSON by syft, naming
    // the Debian packages the image's files came from and the JavaScript packages bundled into the service.
    const links = await page.$$eval('a[href^="sbom/"]', (as) => as.map((a) => a.getAttribute("href")!));
    const sboms = results.sboms ?? [];
    expect(sboms.map((b) => b.image).sort()).toEqual(["app:erroring-1", "app:good-1", "haproxy", "postgres", "prometheus"]);
    expect(links.sort()).toEqual(sboms.map((b) => b.file).sort());
    for (const b of sboms) {
      const doc = JSON.parse(readFileSync(join(run.runDir!, b.file), "utf8")) as { spdxVersion: string; packages: Array<{ name: string; versionInfo?: string }> };
      expect(doc.spdxVersion).toBe("SPDX-2.3");
      expect(doc.packages).toHaveLength(b.packages);
    }
    const app = JSON.parse(readFileSync(join(run.runDir!, sboms.find((b) => b.image === "app:good-1")!.file), "utf8")) as { packages: Array<{ name: string; versionInfo?: string }> };
    const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, { version: string }> };
    expect(app.packages).toEqual(expect.arrayContaining([expect.objectContaining({ name: "nodejs" }), expect.objectContaining({ name: "libc6" }), expect.objectContaining({ name: "pg", versionInfo: lock.packages["node_modules/pg"]!.version })]));
    await page.screenshot({ path: join(run.runDir!, "report.png"), fullPage: true });
    expect(statSync(join(run.runDir!, "report.png")).size).toBeGreaterThan(10_000);
    await page.close();
  }, 120_000);
});
