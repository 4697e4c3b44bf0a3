import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../common/paths.js";
import { ensureEngine } from "../engine/docker.js";
import { ensureKindTools, KindSession } from "../platforms/kind/session.js";
import { runScenario } from "../runner/run-scenario.js";
import { loadScenario, resolveScenarioPath } from "../scenario/load-scenario.js";
import { median, type BenchFigure } from "./figures.js";
import { scaleReaction } from "./scale-reaction.js";

const say = (line: string) => console.log(`[bench scale] ${line}`);

/**
 * Issue 16's bench, as far as it is built: the autoscaler's reaction in the
 * `autoscale` scenario (`--runs=3` of it in one kind cluster), from the
 * load's start and from the first CPU reading above the target to the first
 * new ready pod, in spec time. Multi-node clusters and clusters the harness
 * did not create are not built yet: their figures say so.
 */
export async function scaleBench(signal: AbortSignal, args: readonly string[] = []): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  await ensureEngine();
  await ensureKindTools(say, signal);
  const runs = Number(args.find((a) => a.startsWith("--runs="))?.split("=")[1] ?? 3);
  const scenario = loadScenario(resolveScenarioPath("autoscale"));
  const session = new KindSession({ keep: false });
  const fromLoad: number[] = [];
  const fromBreach: number[] = [];
  const detail: unknown[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const outcome = await runScenario(scenario, { signal, platform: "kind", kind: session, runsDir: join(ROOT, "runs", "bench", "scale") });
      const events = readFileSync(join(outcome.runDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Parameters<typeof scaleReaction>[0][number]);
      const r = scaleReaction(events, "stable", scenario.timeScale);
      if (r.fromLoad !== undefined) fromLoad.push(r.fromLoad);
      if (r.fromBreach !== undefined) fromBreach.push(r.fromBreach);
      detail.push({ verdict: outcome.verdict, ...r });
      say(`autoscale ${i + 1}/${runs}: ${outcome.verdict}; first new ready pod ${r.fromLoad?.toFixed(0) ?? "never"} s (spec) after the load started, ${r.fromBreach?.toFixed(0) ?? "-"} s after CPU passed the target`);
    }
  } finally {
    await session.close();
  }
  const notBuilt = (what: string) => ({ value: Number.NaN, note: `not measured: ${what} are not built yet (issue 16)` });
  const figures: BenchFigure[] = [
    { name: `autoscaler: load start to the first new ready pod, spec time (median of ${fromLoad.length} of ${runs})`, unit: "s", ...(fromLoad.length ? { value: median(fromLoad) } : { value: Number.NaN, note: "no run scaled out" }) },
    { name: `autoscaler: CPU above target to the first new ready pod, spec time (median of ${fromBreach.length} of ${runs})`, unit: "s", ...(fromBreach.length ? { value: median(fromBreach) } : { value: Number.NaN, note: "no run scaled out" }) },
    { name: "multi-node cluster ready vs kind create cluster", unit: "x", ...notBuilt("multi-node clusters") },
    { name: "canary-fail --platform kubernetes vs --platform kind (kept)", unit: "x", ...notBuilt("clusters the harness did not create") },
  ];
  return { figures, detail };
}
