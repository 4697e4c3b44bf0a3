import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExitCode, HarnessError } from "../common/errors.js";
import { ROOT } from "../common/paths.js";

import type { BenchFigure, BenchReport } from "./figures.js";

type Bench = (signal: AbortSignal, args: readonly string[]) => Promise<{ figures: BenchFigure[]; detail?: unknown }>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  images: async () => (await import("./images-bench.js")).imagesBench,
  load: async () => (await import("./load-bench.js")).loadBench,
  strategies: async () => (await import("./strategies-bench.js")).strategiesBench,
  kind: async () => (await import("./kind-bench.js")).kindBench,
  dr: async () => (await import("./dr-bench.js")).drBench,
  analysis: async () => (await import("./analysis-bench.js")).analysisBench,
  concurrency: async () => (await import("./concurrency-bench.js")).concurrencyBench,
  speed: async () => (await import("./speed-bench.js")).speedBench,
  report: async () => (await import("./report-bench.js")).reportBench,
  audit: async () => (await import("./audit-bench.js")).auditBench,
  security: async () => (await import("./security-bench.js")).securityBench,
  scale: async () => (await import("./scale-bench.js")).scaleBench,
};

/** `npm run bench -- <name>`: measure, print the figures, write runs/bench/<name>.json. */
export async function benchCommand(args: string[], signal: AbortSignal): Promise<number> {
  const name = args.find((a) => !a.startsWith("-"));
  const load = name ? BENCHES[name] : undefined;
  if (!name || !load) {
    throw new HarnessError("USAGE", name ? `no bench named "${name}"` : "name a bench to run", { hint: `benches: ${Object.keys(BENCHES).join(", ")}` });
  }
  const { cpus } = await import("node:os");
  const result = await (await load())(signal, args.filter((a) => a.startsWith("-")));
  const report: BenchReport = { bench: name, at: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version }, ...result };
  const dir = join(ROOT, "runs", "bench");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(report, null, 2) + "\n");
  const width = Math.max(...result.figures.map((f) => f.name.length));
  console.log(`\nbench ${name}:`);
  for (const f of result.figures) {
    const target = f.target ? `  target ${f.target} ${f.met ? "met" : "NOT met"}` : "";
    const value = f.note ?? `${String(round(f.value)).padStart(9)} ${f.unit}`;
    console.log(`  ${f.name.padEnd(width)}  ${value}${target}`);
  }
  console.log(`written to runs/bench/${name}.json`);
  return ExitCode.held;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
