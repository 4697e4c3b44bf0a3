import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec } from "../common/exec.js";
import { ensureEngine } from "../engine/docker.js";
import { ROOT } from "../common/paths.js";
import { clusterConfigFile, deleteCluster, kindBinary, NODE_IMAGE } from "../platforms/kind/cluster.js";
import { ensureKindTools, KindSession } from "../platforms/kind/session.js";
import { runScenario } from "../runner/run-scenario.js";
import { loadScenario, resolveScenarioPath } from "../scenario/load-scenario.js";
import type { Stamped } from "../timeline/events.js";
import { median, type BenchFigure } from "./figures.js";

const CLUSTERS = 3;
const CLI_RUNS = 3;
const say = (line: string) => console.log(`[bench kind] ${line}`);

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - started) / 1000, value };
}

/**
 * (a) the node image: the up-to-date check, a forced rebuild with Go's caches
 * warm and, with --cold, a build from nothing (empty Go and artefact caches);
 * (b) `kind create cluster` with the local image vs the harness's
 * cluster-ready time; (c) cluster reuse: the second scenario's start-up
 * saving; (d) `npm run scenario canary-fail -- --platform kind`, warm.
 */
export async function kindBench(signal: AbortSignal, args: readonly string[] = []): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  await ensureEngine();
  await ensureKindTools(say, signal);
  const figures: BenchFigure[] = [];
  const detail: Record<string, unknown> = {};

  // (a) Node image.
  const build = (extraEnv: NodeJS.ProcessEnv = {}, force = false) =>
    timed(() => exec("bash", [join(ROOT, "scripts/kind/build-node-image.sh"), ...(force ? ["--force"] : [])], { cwd: ROOT, env: { ...process.env, ...extraEnv }, timeoutMs: 90 * 60_000, signal }));
  const checks: number[] = [];
  for (let i = 0; i < 3; i++) checks.push((await build()).seconds);
  figures.push({ name: "node image up-to-date check (median of 3)", value: median(checks), unit: "s" });
  if (args.includes("--cold")) {
    const dir = mkdtempSync(join(tmpdir(), "gameday-kind-cold-"));
    say(`cold build: empty Go build cache, module cache and artefact cache in ${dir} (about 10 min on 2 cores)`);
    try {
      const cold = await build({ KIND_CACHE: join(dir, "kind"), GOCACHE: join(dir, "gocache"), GOMODCACHE: join(dir, "gomod"), GOFLAGS: "-modcacherw" }, true);
      figures.push({ name: "node image build, cold (no Go or artefact cache)", value: cold.seconds, unit: "s" });
    } finally {
      chmodSync(dir, 0o755);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  say("rebuilding the node image with Go's caches warm (--force)");
  const warm = await build({}, true);
  figures.push({ name: "node image rebuild, Go caches warm (--force)", value: warm.seconds, unit: "s" });

  // (b) kind create cluster vs the harness's cluster-ready, alternated so drift hits both alike.
  const kindTimes: number[] = [];
  const harnessTimes: number[] = [];
  const nodeReadyTimes: number[] = [];
  for (let i = 0; i < CLUSTERS; i++) {
    const name = `gameday-bench-${process.pid}-${i}`;
    const kubeconfig = join(tmpdir(), `${name}.kubeconfig`);
    try {
      const k = await timed(() => exec(kindBinary(), ["create", "cluster", "--name", name, "--image", NODE_IMAGE, "--config", clusterConfigFile(name), "--kubeconfig", kubeconfig], { timeoutMs: 300_000, signal }));
      kindTimes.push(k.seconds);
    } finally {
      await deleteCluster(name);
      rmSync(kubeconfig, { force: true });
    }
    const session = new KindSession({ keep: false });
    try {
      const started = performance.now();
      const cluster = await session.get(() => undefined, signal);
      harnessTimes.push((performance.now() - started) / 1000);
      await cluster.waitNodeReady(undefined, signal);
      nodeReadyTimes.push((performance.now() - started) / 1000);
    } finally {
      await session.close();
    }
    say(`cluster ${i + 1}/${CLUSTERS}: kind create ${kindTimes[i]!.toFixed(1)} s, harness cluster-ready ${harnessTimes[i]!.toFixed(1)} s (node Ready at ${nodeReadyTimes[i]!.toFixed(1)} s)`);
  }
  const ratio = median(harnessTimes) / median(kindTimes);
  figures.push(
    { name: `kind create cluster, local image (median of ${CLUSTERS})`, value: median(kindTimes), unit: "s" },
    { name: `harness cluster-ready: tools check + create + API answering (median of ${CLUSTERS})`, value: median(harnessTimes), unit: "s" },
    { name: "harness cluster-ready / kind create cluster", value: ratio, unit: "x", target: "<= 1.1", met: ratio <= 1.1 },
    { name: `node Ready, from the harness's start (median of ${CLUSTERS})`, value: median(nodeReadyTimes), unit: "s" },
  );
  detail.clusters = { kindTimes, harnessTimes, nodeReadyTimes };

  // (c) Reuse: canary-fail twice in one session; start-up is the time until the load starts.
  const scenario = loadScenario(resolveScenarioPath("canary-fail"));
  const session = new KindSession({ keep: false });
  const startups: number[] = [];
  const reuseRuns: unknown[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const outcome = await runScenario(scenario, { signal, platform: "kind", kind: session, runsDir: join(ROOT, "runs", "bench", "kind") });
      const events = readFileSync(join(outcome.runDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Stamped);
      const startup = events.find((e) => e.type === "load.started")?.t ?? NaN;
      startups.push(startup);
      reuseRuns.push({ verdict: outcome.verdict, wallSeconds: outcome.results.wallSeconds, startupSeconds: startup });
      say(`canary-fail ${i === 0 ? "creating the cluster" : "reusing it"}: ${outcome.verdict}, start-up ${startup.toFixed(1)} s, wall ${outcome.results.wallSeconds.toFixed(1)} s`);
    }
  } finally {
    await session.close();
  }
  figures.push(
    { name: "canary-fail start-up, new cluster (to first load)", value: startups[0]!, unit: "s" },
    { name: "canary-fail start-up, reused cluster", value: startups[1]!, unit: "s" },
    { name: "start-up saved by reusing the cluster", value: startups[0]! - startups[1]!, unit: "s" },
  );
  detail.reuse = reuseRuns;

  // (d) The command people type, warm (images and node image cached), cluster created and deleted each time.
  const walls: number[] = [];
  const codes: Array<number | null> = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const r = await timed(() => cliRun(["scenario", "canary-fail", "--platform", "kind"], signal));
    walls.push(r.seconds);
    codes.push(r.value);
    say(`npm run scenario canary-fail -- --platform kind ${i + 1}/${CLI_RUNS}: exit ${r.value}, ${r.seconds.toFixed(1)} s`);
  }
  figures.push(
    { name: `canary-fail --platform kind, whole command, warm (median of ${CLI_RUNS})`, value: median(walls), unit: "s", target: "<= 180 s", met: median(walls) <= 180 && codes.every((c) => c === 0) },
    { name: "canary-fail --platform kind runs passed", value: codes.filter((c) => c === 0).length, unit: `of ${CLI_RUNS}` },
  );
  detail.cli = { walls, codes };
  return { figures, detail };
}

function cliRun(args: string[], signal: AbortSignal): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "harness/cli/main.ts"), ...args], { cwd: ROOT, stdio: "ignore", signal });
    child.on("close", (code) => resolve(code));
    child.on("error", () => resolve(null));
  });
}
