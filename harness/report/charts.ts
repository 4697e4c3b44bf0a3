import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { esc } from "./html.js";
import { PLOT_SCRIPT } from "./plot-script.js";

/**
 * The report's plots: each is declared here as data (series, thresholds) and
 * drawn in the page by uPlot, bundled into report.html so it works offline.
 * uPlot over Observable Plot or Chart.js: 51 KB with no dependencies (Plot
 * brings d3, several hundred KB), made for time series of thousands of
 * points, with stepped paths and gaps (null) built in. Every plot shares the
 * run's x axis (wall seconds, with spec seconds on top), so the markers of
 * stages, faults, decisions and the rollback line up from plot to plot.
 */

/** How a series is drawn: `step` holds each value until the next point (per-second figures, observed states); `line` joins samples; `points` marks each value (few, e.g. analyses). */
export type SeriesKind = "step" | "line" | "points";

export interface ChartSeries {
  name: string;
  color: string;
  kind: SeriesKind;
  /** [wall seconds, value]; a null value ends the line there (no data until the next point). */
  points: Array<[number, number | null]>;
}

/** A horizontal line: a rollback trigger or a stage's criterion, over the span it applied to (wall seconds). */
export interface Threshold {
  value: number;
  label: string;
  color: string;
  from?: number;
  to?: number;
}

export interface ChartSpec {
  title: string;
  /** "%", "ms", or a plain unit ("pods"). */
  unit: string;
  series: ChartSeries[];
  thresholds?: Threshold[];
}

export interface Marker {
  t: number;
  label: string;
  color: string;
  /** The timeline event it marks, for whoever checks the page against events.jsonl. */
  event: string;
}

/**
 * Per-second figures as steps: each second's value holds from its start to
 * its end; a second with no traffic is a gap, not a zero and not a line
 * drawn across it. `started` is the wall second the load's second 0 began.
 */
export function perSecondSteps(started: number, seconds: ReadonlyArray<{ second: number; value: number }>): Array<[number, number | null]> {
  const sorted = [...seconds].sort((a, b) => a.second - b.second);
  const out: Array<[number, number | null]> = [];
  sorted.forEach((s, i) => {
    out.push([started + s.second, s.value]);
    if (sorted[i + 1]?.second !== s.second + 1) {
      // The end of a run of seconds: the value holds to the end of its second, then nothing until the next.
      out.push([started + s.second + 1, s.value]);
      if (i + 1 < sorted.length) out.push([started + s.second + 1.001, null]);
    }
  });
  return out;
}

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];

/** A color per role, shared by the version it runs (roles to versions), in every plot; others after them. */
export function roleColors(versions: Record<string, string>): (name: string, i: number) => string {
  const roles = Object.keys(versions);
  return (name, i) => {
    const role = roles.indexOf(name) >= 0 ? roles.indexOf(name) : roles.findIndex((k) => versions[k] === name);
    return COLORS[(role >= 0 ? role : roles.length + i) % COLORS.length]!;
  };
}

/** The palette, for plots of things that are not roles (the machine's figures). */
export function paletteColor(i: number): string {
  return COLORS[i % COLORS.length]!;
}

/** Collects a report's plots and writes the page's part of them: a placeholder per plot, then the data and the renderer once. */
export class Charts {
  private readonly specs: Array<ChartSpec & { id: string }> = [];

  constructor(private readonly frame: { markers: readonly Marker[]; tEnd: number; timeScale: number }) {}

  /** A figure for the plot, or nothing when it has no points. */
  add(spec: ChartSpec): string {
    const series = spec.series.filter((s) => s.points.some((p) => p[1] !== null));
    if (series.length === 0) return "";
    const id = `chart-${this.specs.length + 1}`;
    this.specs.push({ ...spec, series, id });
    return `<figure><figcaption>${esc(spec.title)}</figcaption><div class="plot" id="${id}" data-title="${esc(spec.title)}"></div></figure>`;
  }

  get count(): number {
    return this.specs.length;
  }

  /** What the page's renderer draws: the plots, the markers and the shared time axis. */
  data(): PlotData {
    return { charts: this.specs, markers: this.frame.markers, tStart: 0, tEnd: this.frame.tEnd, timeScale: this.frame.timeScale };
  }

  /** uPlot, its stylesheet, the plots' data and the renderer. */
  html(): string {
    if (this.specs.length === 0) return "";
    // JSON in a script element: "<" escaped, so no "</script>" in a label can end it.
    const json = JSON.stringify(this.data()).replace(/</g, "\\u003c");
    return plotAssets(`<script type="application/json" id="gameday-charts">${json}</script>`);
  }
}

export interface PlotData {
  charts: Array<ChartSpec & { id: string }>;
  markers: readonly Marker[];
  tStart: number;
  tEnd: number;
  timeScale: number;
}

/** uPlot and its stylesheet, then `between` (the data, if the page embeds it), then the renderer (window.gamedayRender). */
export function plotAssets(between = ""): string {
  const { js, css } = uPlotFiles();
  return `<style>${css}${PLOT_CSS}</style>
<script>${js}</script>
${between}
<script>${PLOT_SCRIPT}</script>`;
}

const PLOT_CSS = `
.plot{position:relative}.plot .u-legend{font-size:12px}
.plot .marker{position:absolute;top:0;bottom:0;width:0;border-left:1px dashed;pointer-events:none}
.plot .marker span{position:absolute;left:3px;font-size:10px;white-space:nowrap;background:#fffc}
.plot .threshold{position:absolute;height:0;border-top:1px dotted;pointer-events:none}
.plot .threshold.above{border-top:none}
.plot .threshold span{position:absolute;right:2px;bottom:1px;font-size:10px;white-space:nowrap;background:#fffc}`;

let files: { js: string; css: string } | undefined;
function uPlotFiles(): { js: string; css: string } {
  if (!files) {
    const require = createRequire(import.meta.url);
    files = {
      js: readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8").replace(/<\/script/gi, "<\\/script"),
      css: readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
    };
  }
  return files;
}
