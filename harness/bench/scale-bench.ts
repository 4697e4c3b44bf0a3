import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../common/paths.js";
import { ensureEngine } from "../engine/docker.js";
import { ensureKindTools, KindSession } from "../platforms/kind/session.js";
import { runScenario } from "../runner/run-scenario.js";
import { loadScenario, resolveScenarioPath } from "../scenario/load-scenario.js";
import { median, medianRatio, type BenchFigure } from "./figures.js";
import { systemClock, waitFor } from "../common/clock.js";
import { exec } from "../common/exec.js";
import { KindCluster, NODE_IMAGE, clusterConfigFile, deleteCluster, kindBinary } from "../platforms/kind/cluster.js";
import { scaleReaction } from "./scale-reaction.js";

const say = (line: string) => console.log(`[bench scale] ${line}`);

/**
 * Issue 16's bench, as far as it is built: (1) a cluster of a control plane
 * and two workers as the harness brings it up (created, every node Ready,
 * its pod network set up) against the raw `kind create cluster` with the
 * same configuration and every node Ready (`--pairs=3`, alternating which
 * goes first); (2) the autoscaler's reaction in the `autoscale` scenario
 * (`--runs=3` of it in one kind cluster), from the load's start and from the
 * first CPU reading above the target to the first new ready pod, in spec
 * time. Clusters the harness did not create are not built yet: their figure
 * says so.
 */
export async function scaleBench(signal: AbortSignal, args: readonly string[] = []): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  await ensureEngine();
  await ensureKindTools(say, signal);
  const runs = Number(args.find((a) => a.startsWith("--runs="))?.split("=")[1] ?? 3);
  const pairs = Number(args.find((a) => a.startsWith("--pairs="))?.split("=")[1] ?? 3);
  const startup = await multiNodeStartup(pairs, signal);
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
    ...(pairs > 0
      ? [
          { name: `cluster of 1 control plane and 2 workers, as the harness brings it up: every node Ready, pod network set up (median of ${pairs})`, value: median(startup.harness), unit: "s" },
          { name: `the same configuration, raw kind create cluster to every node Ready (median of ${pairs})`, value: median(startup.raw), unit: "s" },
          { name: "multi-node cluster ready / raw kind create cluster (median of the pairs' ratios)", value: medianRatio(startup.harness, startup.raw), unit: "x", target: "<= 1.1", met: medianRatio(startup.harness, startup.raw) <= 1.1 },
        ]
      : []),
    { name: "canary-fail --platform kubernetes vs --platform kind (kept)", unit: "x", ...notBuilt("clusters the harness did not create") },
  ];
  return { figures, detail: { autoscale: detail, startup } };
}

/**
 * Pairs of multi-node start-ups: the harness's (KindCluster.acquire with two
 * workers, then every node Ready) and the raw one (`kind create cluster`
 * with the same configuration file, then every node Ready), each deleted after.
 */
async function multiNodeStartup(pairs: number, signal: AbortSignal): Promise<{ harness: number[]; raw: number[] }> {
  const harness: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? (["harness", "raw"] as const) : (["raw", "harness"] as const);
    for (const which of order) {
      const name = `gameday-bench-scale-${process.pid}-${which}-${i}`;
      const started = performance.now();
      try {
        if (which === "harness") {
          const cluster = await KindCluster.acquire({ name, keep: false, workers: 2, log: () => undefined, signal });
          await cluster.waitNodeReady(systemClock, signal);
        } else {
          const kubeconfig = join(tmpdir(), `${name}.kubeconfig`);
          await exec(kindBinary(), ["create", "cluster", "--name", name, "--image", NODE_IMAGE, "--config", clusterConfigFile(name, 2), "--kubeconfig", kubeconfig, "--wait", "0s"], { timeoutMs: 300_000, signal });
          const { KubeConfig, CoreV1Api } = await import("@kubernetes/client-node");
          const kc = new KubeConfig();
          kc.loadFromFile(kubeconfig);
          const core = kc.makeApiClient(CoreV1Api);
          await waitFor(
            async () => {
              const nodes = (await core.listNode().catch(() => undefined))?.items ?? [];
              return nodes.length === 3 && nodes.every((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) ? true : undefined;
            },
            { description: `the 3 nodes of ${name} to be Ready`, timeoutMs: 180_000, intervalMs: 100, signal },
          );
          rmSync(kubeconfig, { force: true });
        }
        const seconds = (performance.now() - started) / 1000;
        (which === "harness" ? harness : raw).push(seconds);
        say(`start-up pair ${i + 1}/${pairs}: ${which === "harness" ? "as the harness brings it up" : "raw kind create"}: ${seconds.toFixed(1)} s`);
      } finally {
        await deleteCluster(name);
      }
    }
  }
  return { harness, raw };
}
