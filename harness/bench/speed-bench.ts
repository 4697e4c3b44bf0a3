import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HarnessError } from "../common/errors.js";
import { ensureEngine } from "../engine/docker.js";
import { median, type BenchFigure } from "./figures.js";
import { runCommand } from "./cli-run.js";
import { coldFirstRun, type ColdRun } from "./cold-start.js";

/** The figure the issue measured for the whole warm command before the start-up was made parallel. */
const ISSUE_BASELINE_SECONDS = 20.2;

interface Event {
  type: string;
  t: number;
  kind?: string;
  role?: string;
  message?: string;
}

/** Where a run's seconds went, from its own timeline (t: seconds since the run began) and the command's wall time. */
export interface SpeedParts {
  command: number;
  verdict: string;
  /** Before the run began and after it finished: npm, the setup script, node and the harness's imports, writing the report. */
  outsideRun: number;
  database: number;
  versions: number;
  router: number;
  prometheus: number;
  /** The load starts once Prometheus has scraped every target: the strategy can judge from then. */
  firstScrape: number;
  strategy: number;
  /** The load kept after the decision, so the evidence shows where traffic went. */
  afterDecision: number;
  /** From the end of the load to the end of the run: expectations, teardown. */
  teardown: number;
  /** kind only: the cluster ready (created or reused), and how long `kind load` took (0 when every image was there). */
  cluster?: number;
  kindLoad?: number;
}

/** Parts of one run from its events (exported for its unit test). */
export function speedParts(events: readonly Event[], commandSeconds: number, verdict: string): SpeedParts {
  const at = (type: string, pick: (e: Event) => boolean = () => true) => events.find((e) => e.type === type && pick(e))?.t ?? NaN;
  // A container on Docker, a Deployment on kind.
  const started = (role: string) => at("resource.started", (e) => (e.kind === "container" || e.kind === "deployment") && e.role === role);
  const kindLoad = events.map((e) => (e.type === "note" ? /^kind load: ([\d.]+) s$/.exec(e.message ?? "")?.[1] : undefined)).find((v) => v !== undefined);
  const cluster = at("cluster.ready");
  const finished = at("run.finished");
  const strategyStarted = at("strategy.started");
  const strategyFinished = at("strategy.finished");
  const loadFinished = at("load.finished");
  return {
    command: commandSeconds,
    verdict,
    outsideRun: commandSeconds - finished,
    database: started("database"),
    versions: Math.max(started("stable"), started("candidate")),
    router: started("router"),
    prometheus: started("prometheus"),
    firstScrape: at("load.started"),
    strategy: strategyFinished - strategyStarted,
    afterDecision: loadFinished - strategyFinished,
    teardown: finished - loadFinished,
    ...(Number.isNaN(cluster) ? {} : { cluster, kindLoad: kindLoad === undefined ? 0 : Number(kindLoad) }),
  };
}

type Target = { platform: "docker" } | { platform: "kind"; keep: boolean };

/** One `npm run scenario canary-fail`, as people type it, timed from outside. */
async function command(target: Target, signal: AbortSignal): Promise<SpeedParts> {
  const flags = target.platform === "kind" ? ["--platform", "kind", ...(target.keep ? ["--keep-cluster"] : [])] : [];
  const { runDir, seconds } = await runCommand("npm", ["run", "--silent", "scenario", "--", "canary-fail", ...flags], signal);
  const events = readFileSync(join(runDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Event);
  const verdict = (JSON.parse(readFileSync(join(runDir, "results.json"), "utf8")) as { verdict: string }).verdict;
  return speedParts(events, seconds, verdict);
}

/**
 * `npm run bench -- speed [--runs=5] [--platform=docker|kind]`: the warm
 * `npm run scenario canary-fail`, timed as a whole from outside, and where
 * its seconds went (each part the median over the runs): the setup outside
 * the run, the database, the versions, the router, Prometheus and its first
 * scrape (seconds since the run began), the strategy, the load kept after
 * the decision, the teardown. On kind, twice: on a new cluster each time
 * (its creation and `kind load` beside the rest), then on one kept cluster.
 * `--cold` (Docker): the first run where nothing is built (cold-start.ts).
 */
export async function speedBench(signal: AbortSignal, args: readonly string[]): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  let runs: number | undefined;
  let platform: "docker" | "kind" = "docker";
  let cold = false;
  for (const a of args) {
    const m = /^--runs=(\d+)$/.exec(a);
    const p = /^--platform=(docker|kind)$/.exec(a);
    if (m && Number(m[1]) >= 1) runs = Number(m[1]);
    else if (p) platform = p[1] as "docker" | "kind";
    else if (a === "--cold") cold = true;
    else throw new HarnessError("USAGE", `bench speed does not know ${a}`, { hint: "npm run bench -- speed [--runs=5] [--platform=docker|kind] [--cold]" });
  }
  await ensureEngine();
  if (cold) return coldFigures(runs ?? 1, signal);
  return warmFigures(platform, runs ?? 5, signal);
}

async function warmFigures(platform: "docker" | "kind", runs: number, signal: AbortSignal): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  if (platform === "docker") {
    const measured = await series({ platform: "docker" }, "canary-fail", runs, signal);
    const whole = medianOf(measured, "command");
    return {
      figures: [
        { name: `npm run scenario canary-fail, warm, Docker (median of ${runs})`, value: whole, unit: "s", target: "<= 10 s", met: whole <= 10 },
        { name: `  against the issue's ${ISSUE_BASELINE_SECONDS} s`, value: Math.round((whole / ISSUE_BASELINE_SECONDS) * 100) / 100, unit: "x" },
        ...partFigures(measured),
      ],
      detail: { runs: measured },
    };
  }
  const fresh = await series({ platform: "kind", keep: false }, "canary-fail --platform kind, new cluster", runs, signal);
  const kept = await series({ platform: "kind", keep: true }, "canary-fail --platform kind --keep-cluster", runs, signal);
  await runCommand("npm", ["run", "--silent", "clean", "--", "--clusters"], signal).catch(() => undefined);
  const verdictAt = (p: SpeedParts) => p.command - p.outsideRun - p.teardown - p.afterDecision;
  const freshVerdict = Math.round(median(fresh.map(verdictAt)) * 100) / 100;
  const keptVerdict = Math.round(median(kept.map(verdictAt)) * 100) / 100;
  return {
    figures: [
      { name: `canary-fail --platform kind, new cluster, to its verdict (median of ${runs})`, value: freshVerdict, unit: "s", target: "<= 40 s", met: freshVerdict <= 40 },
      { name: `  against the kind issue's ${KIND_BASELINE_SECONDS} s`, value: Math.round((freshVerdict / KIND_BASELINE_SECONDS) * 100) / 100, unit: "x" },
      { name: "  whole command", value: medianOf(fresh, "command"), unit: "s" },
      { name: "  cluster created and ready", value: medianOf(fresh, "cluster"), unit: "s" },
      { name: "  kind load (every image the run needs)", value: medianOf(fresh, "kindLoad"), unit: "s" },
      ...partFigures(fresh),
      { name: `canary-fail --platform kind, kept cluster, to its verdict (median of ${runs})`, value: keptVerdict, unit: "s", target: "<= 15 s", met: keptVerdict <= 15 },
      { name: "  whole command", value: medianOf(kept, "command"), unit: "s" },
      ...partFigures(kept),
    ],
    detail: { fresh, kept },
  };
}

/** `--cold`: the first canary-fail where nothing is built (cold-start.ts), `runs` times (each takes minutes; default 1). */
async function coldFigures(runs: number, signal: AbortSignal): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  const measured: ColdRun[] = [];
  for (let i = 0; i < runs; i++) {
    signal.throwIfAborted();
    const r = await coldFirstRun(signal, (line) => console.log(`cold ${i + 1}/${runs}: ${line}`));
    measured.push(r);
    console.log(`cold ${i + 1}/${runs}: ${r.verdict}, ${r.seconds.toFixed(1)} s (before the run ${r.beforeRun.toFixed(1)} s, images ${r.images.toFixed(1)} s: ${r.built.join(", ")})`);
  }
  const med = (k: "seconds" | "beforeRun" | "images" | "run" | "afterRun") => Math.round(median(measured.map((r) => r[k])) * 100) / 100;
  const whole = med("seconds");
  return {
    figures: [
      { name: `first npm run scenario canary-fail, nothing built, engine running (median of ${runs})`, value: whole, unit: "s", target: "<= 180 s", met: whole <= 180 },
      { name: "  verdict passed", value: measured.filter((r) => r.verdict === "passed").length, unit: `of ${runs}` },
      { name: "  before the run (npm ci, vegeta built, node)", value: med("beforeRun"), unit: "s" },
      { name: "  the run", value: med("run"), unit: "s" },
      { name: "    of which images built (Prometheus from its Go module too)", value: med("images"), unit: "s" },
      { name: "  after the run", value: med("afterRun"), unit: "s" },
    ],
    detail: { cold: measured },
  };
}

/** The kind issue's closing note: canary-fail on a new cluster, before images were slim. */
const KIND_BASELINE_SECONDS = 72.7;

/** One run first, not counted (images checked, tsx's cache filled, the engine's page cache warm, a kept cluster made), then `runs`. */
async function series(target: Target, label: string, runs: number, signal: AbortSignal): Promise<SpeedParts[]> {
  console.log(`${label}, warming up (not counted)`);
  await command(target, signal);
  const measured: SpeedParts[] = [];
  for (let i = 0; i < runs; i++) {
    signal.throwIfAborted();
    const p = await command(target, signal);
    measured.push(p);
    console.log(`${label} ${i + 1}/${runs}: ${p.verdict}, ${p.command.toFixed(1)} s (first scrape at ${p.firstScrape.toFixed(1)} s, strategy ${p.strategy.toFixed(1)} s, teardown ${p.teardown.toFixed(1)} s)`);
  }
  return measured;
}

function medianOf(measured: readonly SpeedParts[], k: keyof Omit<SpeedParts, "verdict">): number {
  return Math.round(median(measured.map((p) => p[k] ?? NaN)) * 100) / 100;
}

function partFigures(measured: readonly SpeedParts[]): BenchFigure[] {
  const med = (k: keyof Omit<SpeedParts, "verdict">) => medianOf(measured, k);
  return [
    { name: "  verdict passed", value: measured.filter((p) => p.verdict === "passed").length, unit: `of ${measured.length}` },
    { name: "  outside the run (npm, setup script, node, imports, report)", value: med("outsideRun"), unit: "s" },
    { name: "  database up (since the run began)", value: med("database"), unit: "s" },
    { name: "  versions up", value: med("versions"), unit: "s" },
    { name: "  router up", value: med("router"), unit: "s" },
    { name: "  Prometheus up", value: med("prometheus"), unit: "s" },
    { name: "  every target scraped, load started", value: med("firstScrape"), unit: "s" },
    { name: "  strategy (start to rollback done)", value: med("strategy"), unit: "s" },
    { name: "  load kept after the decision", value: med("afterDecision"), unit: "s" },
    { name: "  expectations and teardown", value: med("teardown"), unit: "s" },
  ];
}
