import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../common/paths.js";
import { ensureEngine } from "../engine/docker.js";
import { ensureKindTools, KindSession } from "../platforms/kind/session.js";
import { runScenario } from "../runner/run-scenario.js";
import { loadScenario, resolveScenarioPath } from "../scenario/load-scenario.js";
import { median, medianRatio, type BenchFigure } from "./figures.js";
import { waitDaemonSetReady, waitNodesReady } from "../platforms/kind/readiness.js";
import { exec } from "../common/exec.js";
import { KindCluster, NODE_IMAGE, clusterConfigFile, deleteCluster, kindBinary } from "../platforms/kind/cluster.js";
import { scaleReaction } from "./scale-reaction.js";

const say = (line: string) => console.log(`[bench scale] ${line}`);

/**
 * Issue 16's bench: (1) a cluster of a control plane and two workers as
 * the harness brings it up (created, its pod network set up) against the
 * raw `kind create cluster` with the same configuration, both until the
 * cluster runs pods (`--pairs=3`, alternating which goes first); (2) the autoscaler's reaction in the `autoscale` scenario
 * (`--runs=3` of it in one kind cluster), from the load's start and from the
 * first CPU reading above the target to the first new ready pod, in spec
 * time; (3) canary-fail against a cluster the harness did not create vs on
 * its kept kind cluster (`--external-pairs=3`).
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
  const external = pairsOf("--external-pairs=", 3) > 0 ? await externalVsKept(pairsOf("--external-pairs=", 3), signal) : undefined;
  const figures: BenchFigure[] = [
    { name: `autoscaler: load start to the first new ready pod, spec time (median of ${fromLoad.length} of ${runs})`, unit: "s", ...(fromLoad.length ? { value: median(fromLoad) } : { value: Number.NaN, note: "no run scaled out" }) },
    { name: `autoscaler: CPU above target to the first new ready pod, spec time (median of ${fromBreach.length} of ${runs})`, unit: "s", ...(fromBreach.length ? { value: median(fromBreach) } : { value: Number.NaN, note: "no run scaled out" }) },
    ...(pairs > 0
      ? [
          { name: `cluster of 1 control plane and 2 workers, as the harness brings it up (pod network set up), until it runs pods (median of ${pairs})`, value: median(startup.harness), unit: "s" },
          { name: `the same configuration, raw kind create cluster, until it runs pods (median of ${pairs})`, value: median(startup.raw), unit: "s" },
          { name: `the raw cluster's nodes all Ready, before any pod runs (median of ${pairs})`, value: median(startup.rawNodesReady), unit: "s" },
          { name: "multi-node cluster ready / raw kind create cluster (median of the pairs' ratios)", value: medianRatio(startup.harness, startup.raw), unit: "x", target: "<= 1.1", met: medianRatio(startup.harness, startup.raw) <= 1.1 },
        ]
      : []),
    ...(external
      ? [
          { name: `canary-fail --platform kubernetes, a cluster made outside the harness (1 worker) with a registry (median of ${external.kubernetes.length})`, value: median(external.kubernetes), unit: "s" },
          { name: `canary-fail --platform kind, the harness's kept cluster (median of ${external.kind.length})`, value: median(external.kind), unit: "s" },
          { name: "canary-fail --platform kubernetes / --platform kind kept (median of the pairs' ratios)", value: medianRatio(external.kubernetes, external.kind), unit: "x", target: "<= 1.2", met: medianRatio(external.kubernetes, external.kind) <= 1.2 },
        ]
      : []),
  ];
  return { figures, detail: { autoscale: detail, startup, external } };

  function pairsOf(flag: string, fallback: number): number {
    return Number(args.find((a) => a.startsWith(flag))?.split("=")[1] ?? fallback);
  }
}

/**
 * canary-fail's whole run (results' wallSeconds), in pairs: against a cluster
 * made outside the harness (StagingCluster: a control plane, a worker and a
 * registry; the harness pushes its images and runs PostgreSQL in it) and on
 * the harness's kept kind cluster. One run of each first, unmeasured: the
 * pushes and the kept cluster's creation are not what is compared.
 */
async function externalVsKept(pairs: number, signal: AbortSignal): Promise<{ kubernetes: number[]; kind: number[]; verdicts: string[] }> {
  const { StagingCluster } = await import("./staging-cluster.js");
  const { kubernetesSession } = await import("../runner/provision.js");
  const scenario = loadScenario(resolveScenarioPath("canary-fail"));
  const staging = await StagingCluster.create({ workers: 1, log: say });
  const kubernetes = await kubernetesSession({ kubeconfig: staging.kubeconfig, registry: staging.registry });
  const kind = new KindSession({ keep: true });
  const out = { kubernetes: [] as number[], kind: [] as number[], verdicts: [] as string[] };
  const runsDir = join(ROOT, "runs", "bench", "scale");
  const once = async (platform: "kubernetes" | "kind") => {
    const o = await runScenario(scenario, { signal, platform, kind, kubernetes, runsDir });
    out.verdicts.push(`${platform}: ${o.verdict}`);
    return o.results.wallSeconds;
  };
  try {
    say(`warm-up: one canary-fail on each (images pushed to ${staging.registry}; the kept cluster made if missing)`);
    await once("kubernetes");
    await once("kind");
    for (let i = 0; i < pairs; i++) {
      // Alternate which goes first: the machine's state drifts.
      const order: Array<"kubernetes" | "kind"> = i % 2 === 0 ? ["kubernetes", "kind"] : ["kind", "kubernetes"];
      for (const p of order) out[p].push(await once(p));
      say(`pair ${i + 1}/${pairs}: kubernetes ${out.kubernetes.at(-1)!.toFixed(1)} s, kind (kept) ${out.kind.at(-1)!.toFixed(1)} s`);
    }
  } finally {
    await kind.close();
    await staging.destroy();
  }
  return out;
}

/**
 * Pairs of multi-node start-ups, each timed until the cluster runs pods
 * (kind/readiness.ts: every node Ready, kube-proxy on every node): the
 * harness's (KindCluster.acquire with two workers, its pod network set up)
 * and the raw one (`kind create cluster` with the same configuration file),
 * each deleted after. The raw cluster's time to every node Ready is kept too.
 */
async function multiNodeStartup(pairs: number, signal: AbortSignal): Promise<{ harness: number[]; raw: number[]; rawNodesReady: number[] }> {
  const harness: number[] = [];
  const raw: number[] = [];
  const rawNodesReady: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? (["harness", "raw"] as const) : (["raw", "harness"] as const);
    for (const which of order) {
      const name = `gameday-bench-scale-${process.pid}-${which}-${i}`;
      const started = performance.now();
      const kubeconfig = join(tmpdir(), `${name}.kubeconfig`);
      try {
        let nodes = 0;
        if (which === "harness") {
          const cluster = await KindCluster.acquire({ name, keep: false, workers: 2, log: () => undefined, signal });
          await Promise.all([cluster.waitNodeReady(undefined, signal), waitDaemonSetReady(cluster.kubeConfig, "kube-proxy", { signal })]);
        } else {
          await exec(kindBinary(), ["create", "cluster", "--name", name, "--image", NODE_IMAGE, "--config", clusterConfigFile(name, 2), "--kubeconfig", kubeconfig, "--wait", "0s"], { timeoutMs: 300_000, signal });
          const { KubeConfig } = await import("@kubernetes/client-node");
          const kc = new KubeConfig();
          kc.loadFromFile(kubeconfig);
          await Promise.all([waitNodesReady(kc, name, 3, { signal }).then(() => (nodes = (performance.now() - started) / 1000)), waitDaemonSetReady(kc, "kube-proxy", { signal })]);
          rawNodesReady.push(nodes);
        }
        const seconds = (performance.now() - started) / 1000;
        (which === "harness" ? harness : raw).push(seconds);
        say(`start-up pair ${i + 1}/${pairs}: ${which === "harness" ? "as the harness brings it up" : `raw kind create (every node Ready at ${nodes.toFixed(1)} s)`}: runs pods at ${seconds.toFixed(1)} s`);
      } finally {
        await deleteCluster(name);
        rmSync(kubeconfig, { force: true });
      }
    }
  }
  return { harness, raw, rawNodesReady };
}
