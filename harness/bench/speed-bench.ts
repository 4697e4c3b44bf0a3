import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HarnessError } from "../common/errors.js";
import { ensureEngine } from "../engine/docker.js";
import { median, type BenchFigure } from "./figures.js";
import { runCommand } from "./cli-run.js";

/** The figure the issue measured for the whole warm command before the start-up was made parallel. */
const ISSUE_BASELINE_SECONDS = 20.2;

interface Event {
  type: string;
  t: number;
  kind?: string;
  role?: string;
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
}

/** Parts of one run from its events (exported for its unit test). */
export function speedParts(events: readonly Event[], commandSeconds: number, verdict: string): SpeedParts {
  const at = (type: string, pick: (e: Event) => boolean = () => true) => events.find((e) => e.type === type && pick(e))?.t ?? NaN;
  const started = (role: string) => at("resource.started", (e) => e.kind === "container" && e.role === role);
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
  };
}

/** One `npm run scenario canary-fail`, as people type it, timed from outside. */
async function command(signal: AbortSignal): Promise<SpeedParts> {
  const { runDir, seconds } = await runCommand("npm", ["run", "--silent", "scenario", "--", "canary-fail"], signal);
  const events = readFileSync(join(runDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Event);
  const verdict = (JSON.parse(readFileSync(join(runDir, "results.json"), "utf8")) as { verdict: string }).verdict;
  return speedParts(events, seconds, verdict);
}

/**
 * `npm run bench -- speed [--runs=5]`: the warm `npm run scenario
 * canary-fail` on Docker, timed as a whole from outside, and where its
 * seconds went (each part the median over the runs): the setup outside the
 * run, the database, the versions, the router, Prometheus and its first
 * scrape (seconds since the run began), the strategy, the load kept after
 * the decision, the teardown.
 */
export async function speedBench(signal: AbortSignal, args: readonly string[]): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  let runs = 5;
  for (const a of args) {
    const m = /^--runs=(\d+)$/.exec(a);
    if (m && Number(m[1]) >= 1) runs = Number(m[1]);
    else throw new HarnessError("USAGE", `bench speed does not know ${a}`, { hint: "npm run bench -- speed [--runs=5]" });
  }
  await ensureEngine();
  // One run first, not counted: images checked, tsx's cache filled, the engine's page cache warm.
  console.log("canary-fail, warming up (not counted)");
  await command(signal);
  const measured: SpeedParts[] = [];
  for (let i = 0; i < runs; i++) {
    signal.throwIfAborted();
    const p = await command(signal);
    measured.push(p);
    console.log(`canary-fail ${i + 1}/${runs}: ${p.verdict}, ${p.command.toFixed(1)} s (first scrape at ${p.firstScrape.toFixed(1)} s, strategy ${p.strategy.toFixed(1)} s, teardown ${p.teardown.toFixed(1)} s)`);
  }
  const med = (k: keyof Omit<SpeedParts, "verdict">) => Math.round(median(measured.map((p) => p[k])) * 100) / 100;
  const whole = med("command");
  const figures: BenchFigure[] = [
    { name: `npm run scenario canary-fail, warm, Docker (median of ${runs})`, value: whole, unit: "s", target: "<= 10 s", met: whole <= 10 },
    { name: `  against the issue's ${ISSUE_BASELINE_SECONDS} s`, value: Math.round((whole / ISSUE_BASELINE_SECONDS) * 100) / 100, unit: "x" },
    { name: "  verdict passed", value: measured.filter((p) => p.verdict === "passed").length, unit: `of ${runs}` },
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
  return { figures, detail: { runs: measured } };
}
