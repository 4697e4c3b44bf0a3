import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HarnessError } from "../common/errors.js";
import { ensureEngine } from "../engine/docker.js";
import { median, type BenchFigure } from "./figures.js";
import { CLI, runCommand } from "./cli-run.js";

interface Run {
  code: number | null;
  verdict: string;
  wallSeconds: number;
  waitedSeconds: number;
  beside: string[];
}

/** One `npm run scenario canary-fail` as a user types it (its own process), read back from its results.json. */
async function canaryFail(extra: readonly string[], signal: AbortSignal): Promise<Run> {
  const [node, ...args] = CLI;
  const { code, runDir } = await runCommand(node, [...args, "scenario", "canary-fail", ...extra], signal);
  const r = JSON.parse(readFileSync(join(runDir, "results.json"), "utf8")) as { verdict: string; wallSeconds: number; budget?: { waitedSeconds: number; beside: string[] } };
  return { code, verdict: r.verdict, wallSeconds: r.wallSeconds, waitedSeconds: r.budget?.waitedSeconds ?? 0, beside: r.budget?.beside ?? [] };
}

/** Wall seconds of `f`. */
async function timed<T>(f: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = Date.now();
  const value = await f();
  return { value, seconds: (Date.now() - t0) / 1000 };
}

/**
 * Pairs of canary-fail started at once, as two people (or two CI jobs) on one
 * machine would: with the machine's budget (they take turns or share), one
 * after the other (the baseline), and with --no-wait (side by side whatever
 * the budget says): how many pairs both pass, the wall time of each way, and
 * how many --no-wait runs the headroom watch made inconclusive.
 */
export async function concurrencyBench(signal: AbortSignal, args: readonly string[]): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  let pairs = 10;
  for (const a of args) {
    const m = /^--pairs=(\d+)$/.exec(a);
    if (m) pairs = Number(m[1]);
    else throw new HarnessError("USAGE", `bench concurrency does not know ${a}`, { hint: "npm run bench -- concurrency [--pairs=10]" });
  }
  await ensureEngine();
  const ways = { coordinated: [] as Array<{ seconds: number; runs: Run[] }>, sequential: [] as Array<{ seconds: number; runs: Run[] }>, noWait: [] as Array<{ seconds: number; runs: Run[] }> };
  for (let i = 0; i < pairs; i++) {
    // Interleaved, so that the machine's mood weighs on every way alike.
    signal.throwIfAborted();
    const c = await timed(() => Promise.all([canaryFail([], signal), canaryFail([], signal)]));
    ways.coordinated.push({ seconds: c.seconds, runs: c.value });
    const s = await timed(async () => [await canaryFail([], signal), await canaryFail([], signal)]);
    ways.sequential.push({ seconds: s.seconds, runs: s.value });
    const n = await timed(() => Promise.all([canaryFail(["--no-wait"], signal), canaryFail(["--no-wait"], signal)]));
    ways.noWait.push({ seconds: n.seconds, runs: n.value });
    const say = (w: { seconds: number; runs: Run[] }) => `${w.runs.map((r) => r.verdict).join("+")} in ${w.seconds.toFixed(1)} s`;
    console.log(`pair ${i + 1}/${pairs}: coordinated ${say(ways.coordinated.at(-1)!)} (waited ${Math.max(...c.value.map((r) => r.waitedSeconds)).toFixed(1)} s); one after the other ${say(ways.sequential.at(-1)!)}; --no-wait ${say(ways.noWait.at(-1)!)}`);
  }
  const bothPassed = (w: Array<{ runs: Run[] }>) => w.filter((p) => p.runs.every((r) => r.verdict === "passed")).length;
  const total = (w: Array<{ seconds: number }>) => w.reduce((a, p) => a + p.seconds, 0);
  const noWaitRuns = ways.noWait.flatMap((p) => p.runs);
  const figures: BenchFigure[] = [
    { name: `pairs of canary-fail started at once, coordinated: both passed`, value: bothPassed(ways.coordinated), unit: `of ${pairs}`, target: `${pairs} of ${pairs}`, met: bothPassed(ways.coordinated) === pairs },
    { name: "coordinated: total wall time", value: Math.round(total(ways.coordinated) * 10) / 10, unit: "s" },
    { name: "one after the other: total wall time (baseline)", value: Math.round(total(ways.sequential) * 10) / 10, unit: "s" },
    { name: "coordinated / one after the other (median of the pairs' ratios)", value: Math.round(median(ways.coordinated.map((p, i) => p.seconds / ways.sequential[i]!.seconds)) * 1000) / 1000, unit: "x" },
    { name: "one after the other: both passed", value: bothPassed(ways.sequential), unit: `of ${pairs}` },
    { name: "--no-wait side by side: total wall time", value: Math.round(total(ways.noWait) * 10) / 10, unit: "s" },
    { name: "--no-wait: runs inconclusive (the machine saturated)", value: noWaitRuns.filter((r) => r.verdict === "inconclusive").length, unit: `of ${noWaitRuns.length}` },
    { name: "--no-wait: runs failed", value: noWaitRuns.filter((r) => r.verdict === "failed").length, unit: `of ${noWaitRuns.length}` },
  ];
  return { figures, detail: ways };
}
