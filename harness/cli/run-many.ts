import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LiveServer } from "../live/server.js";
import type { OperatorDesk } from "../runner/operator-desk.js";
import { ExitCode, HarnessError } from "../common/errors.js";
import type { ExternalClusterOptions } from "../platforms/kubernetes/external-cluster.js";
import type { PlatformName } from "../model/platform-name.js";
import type { RunResults } from "../report/results.js";
import type { Scenario } from "../scenario/scenario.js";
import type { PipelineSpec } from "../scenario/scenario.js";
import type { RunOptions } from "../runner/run-scenario.js";
import type { Stamped } from "../timeline/events.js";
import { formatEvent } from "../timeline/progress.js";
import { attemptsNote, parseRetries, retryReason, type EarlierAttempt } from "./retries.js";

export interface RunManyOptions {
  platform?: PlatformName;
  /** --platform kubernetes: the cluster's kubeconfig, context, allowed production context and registry. */
  cluster?: ExternalClusterOptions;
  timeScale?: number;
  seed?: number;
  inconclusive?: "fail" | "inconclusive";
  /** Run an inconclusive scenario again, up to this many times (never a failed one). */
  retries?: number;
  noWait?: boolean;
  runsDir?: string;
  keepCluster?: boolean;
  /** Events as JSON lines instead of progress lines. */
  json?: boolean;
  verbose?: boolean;
  /** A live game day (one scenario): the page and the operator's desk, real time unless a time scale is given. */
  live?: boolean;
  /** Run side by side as many as the machine's budget lets (the suite), each progress line named after its scenario. */
  sideBySide?: boolean;
  signal: AbortSignal;
  /** Shows a path as the user would type it. */
  displayPath: (file: string) => string;
}

export interface RunOutcome {
  name: string;
  platform: PlatformName;
  verdict: string;
  exitCode: number;
  wallSeconds: number;
  runDir: string;
  results: RunResults;
  /** The inconclusive attempts before this one, under --retries. */
  earlier?: EarlierAttempt[];
}

/**
 * Runs scenarios one after the other, or side by side as the machine's
 * budget lets (`sideBySide`), past failures (only an interrupt stops the
 * rest), on one kind session, printing each run's progress and its evidence
 * folder. Every scenario has been read and checked already. The outcomes
 * come in the scenarios' order.
 */
export async function runMany(scenarios: readonly Scenario[], o: RunManyOptions): Promise<RunOutcome[]> {
  const { prepareMachine } = await import("./machine.js");
  // Only now, with every name, file and flag known good: the engine and the load generator.
  await prepareMachine({ needsLoad: scenarios.some((s) => s.load !== undefined || s.strategy !== undefined || s.pipeline !== undefined), signal: o.signal });
  const [{ runScenario }, { KindSession }, { runPipeline }] = await Promise.all([import("../runner/run-scenario.js"), import("../platforms/kind/session.js"), import("../pipeline/run-pipeline.js")]);
  const kind = new KindSession({ keep: o.keepCluster === true });
  const kubernetes =
    o.platform === "kubernetes" || scenarios.some((s) => s.platform === "kubernetes")
      ? await import("../runner/provision.js").then(({ kubernetesSession }) => kubernetesSession(o.cluster ?? {}))
      : undefined;
  /** Progress lines, named after their scenario when runs go side by side. */
  const printer =
    (name: string | undefined) =>
    (e: Stamped): void => {
      if (o.json) return console.log(JSON.stringify(e));
      const line = formatEvent(e) ?? (o.verbose ? `[${e.t.toFixed(1).padStart(6)}s] ${JSON.stringify(e)}` : undefined);
      if (line) console.log(name ? `[${name}] ${line}` : line);
    };
  const attempt = async (scenario: Scenario, name?: string): Promise<RunOutcome> => {
    // A game day runs at real speed unless a time scale is given.
    const timeScale = o.timeScale ?? (o.live ? 1 : undefined);
    const live = o.live ? await openLive(scenario, { ...o, timeScale: timeScale! }) : undefined;
    const onEvent = printer(name);
    const run = scenario.pipeline ? (sc: Scenario, options: RunOptions) => runPipeline(sc as Scenario & { pipeline: PipelineSpec }, options, runScenario) : runScenario;
    const outcome = await run(scenario, {
      ...(timeScale !== undefined ? { timeScale } : {}),
      ...(live ? { operator: live.desk } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.inconclusive ? { inconclusive: o.inconclusive } : {}),
      ...(o.noWait ? { wait: false } : {}),
      ...(o.platform ? { platform: o.platform } : {}),
      ...(o.runsDir ? { runsDir: o.runsDir } : {}),
      kind,
      ...(kubernetes ? { kubernetes } : {}),
      signal: o.signal,
      onEvent: live
        ? (e) => {
            onEvent(e);
            live.server.publish(e);
          }
        : onEvent,
    }).finally(() => live?.close());
    live?.server.finish({ verdict: outcome.verdict, exitCode: outcome.exitCode, report: o.displayPath(join(outcome.runDir, "report.html")) });
    if (!o.json) console.log(`${name ? `[${name}] ` : ""}evidence: ${o.displayPath(outcome.runDir)} (report.html, results.json, events.jsonl, junit.xml, logs/)`);
    return { name: scenario.name, platform: o.platform ?? scenario.platform, verdict: outcome.verdict, exitCode: outcome.exitCode, wallSeconds: outcome.results.wallSeconds, runDir: outcome.runDir, results: outcome.results };
  };
  // Under --retries, an inconclusive run is run again (a new run, its own folder); its outcome is the last attempt's.
  const runOne = async (scenario: Scenario, name?: string): Promise<RunOutcome> => {
    const earlier: EarlierAttempt[] = [];
    for (;;) {
      const outcome = await attempt(scenario, name);
      const reason = retryReason(outcome.results);
      if (reason === undefined || earlier.length >= (o.retries ?? 0) || o.signal.aborted) return earlier.length > 0 ? { ...outcome, earlier } : outcome;
      earlier.push({ runDir: outcome.runDir, reason });
      if (!o.json) console.log(`${name ? `[${name}] ` : ""}inconclusive (${reason}): running ${scenario.name} again, attempt ${earlier.length + 1} of ${o.retries! + 1} (--retries ${o.retries})`);
    }
  };
  const outcomes: RunOutcome[] = [];
  try {
    if (o.sideBySide && !o.live && scenarios.length > 1) outcomes.push(...(await runSideBySide(scenarios, runOne, o)));
    else
      for (const scenario of scenarios) {
        if (o.signal.aborted) break;
        outcomes.push(await runOne(scenario));
      }
  } finally {
    if (!o.json && (o.platform === "kind" || scenarios.some((s) => s.platform === "kind"))) {
      const names = kind.names();
      if (names.length > 0) console.log(o.keepCluster ? `kind cluster ${names.join(", ")} kept for the next run (npm run clean -- --clusters removes it)` : `deleting kind cluster ${names.join(", ")}`);
    }
    await kind.close();
  }
  return outcomes;
}

/** How often a suite waiting for room looks again at other processes' claims on the budget (its own runs' ends wake it at once). */
const PACK_RECHECK_MS = 2000;

/**
 * The suite's scheduler: starts, in the scenarios' order, every run that
 * fits beside the ones going (harness/suite/pack.ts, on the machine's
 * budget and each run's estimated cost), and the next whenever one ends.
 * Each run still takes its share of the budget itself, so another process's
 * runs are waited for as always. A run that throws stops new starts; the
 * ones going finish, then the error is thrown.
 */
async function runSideBySide(scenarios: readonly Scenario[], runOne: (s: Scenario, name: string) => Promise<RunOutcome>, o: RunManyOptions): Promise<RunOutcome[]> {
  const [{ estimateCost }, { MachineBudget }, { nextToStart }, { systemClock }] = await Promise.all([
    import("../coordination/cost.js"),
    import("../coordination/budget.js"),
    import("../suite/pack.js"),
    import("../common/clock.js"),
  ]);
  const budget = new MachineBudget();
  const pending = scenarios.map((scenario, index) => {
    const platform = o.platform ?? scenario.platform;
    return { index, scenario, cores: estimateCost(scenario, platform).cores, kind: platform !== "docker" };
  });
  type Item = (typeof pending)[number];
  const running = new Map<number, Item>();
  const outcomes: Array<RunOutcome | undefined> = [];
  let failure: { error: unknown } | undefined;
  let wake: () => void = () => undefined;
  const startWhatFits = (): void => {
    while (!o.signal.aborted && !failure) {
      const others = budget.holders().filter((c) => c.pid !== process.pid);
      const going = [...running.values()];
      const free = budget.cores - others.reduce((a, c) => a + c.cores, 0) - going.reduce((a, r) => a + r.cores, 0);
      const i = nextToStart(pending, going, free);
      if (i === undefined) return;
      const item = pending.splice(i, 1)[0]!;
      running.set(item.index, item);
      void runOne(item.scenario, item.scenario.name)
        .then(
          (outcome) => void (outcomes[item.index] = outcome),
          (error: unknown) => void (failure ??= { error }),
        )
        .finally(() => {
          running.delete(item.index);
          wake();
        });
    }
  };
  for (;;) {
    startWhatFits();
    if (running.size === 0) break;
    const ended = new Promise<void>((resolve) => (wake = resolve));
    const recheck = new AbortController();
    await Promise.race([ended, systemClock.sleep(PACK_RECHECK_MS, recheck.signal).catch(() => undefined)]);
    recheck.abort();
  }
  if (failure) throw failure.error;
  return outcomes.filter((x): x is RunOutcome => x !== undefined);
}

/**
 * The live page of a game day and its operator's desk. The page's abort is
 * the terminal's Ctrl-C: the same interrupt, the same cleanup, exit 130.
 */
async function openLive(scenario: Scenario, o: RunManyOptions & { timeScale: number }): Promise<{ desk: OperatorDesk; server: LiveServer; close(): void }> {
  const [{ OperatorDesk }, { startLiveServer }] = await Promise.all([import("../runner/operator-desk.js"), import("../live/server.js")]);
  const platform = o.platform ?? scenario.platform;
  const desk = new OperatorDesk(platform);
  const server = await startLiveServer({
    scenario: scenario.name,
    platform,
    timeScale: o.timeScale,
    desk,
    versions: Object.fromEntries([...scenario.versions.values()].map((v) => [v.role, v.tag])),
    abort: () => process.kill(process.pid, "SIGINT"),
  });
  console.log(`live: ${server.url} (the game day's page: the run as it goes, faults and marks by hand, abort)`);
  let closing: Promise<void> | undefined;
  return {
    desk,
    server,
    close() {
      // The page gets the run's end first; then the server goes with the command.
      closing ??= new Promise((resolve) => setTimeout(resolve, 200)).then(() => server.close());
    },
  };
}

/** The summary lines of several runs. */
export function printSummary(outcomes: readonly RunOutcome[], displayPath: (file: string) => string): void {
  const width = Math.max(...outcomes.map((o) => o.name.length));
  console.log("\nsummary:");
  for (const o of outcomes) console.log(`  ${o.name.padEnd(width)}  ${o.verdict.toUpperCase().padEnd(11)} ${o.wallSeconds.toFixed(1).padStart(6)} s  ${displayPath(o.runDir)}${attemptsNote(o.earlier ?? [], displayPath)}`);
}

/** One JUnit file for several runs: a suite per scenario that ran. */
export async function writeJunit(file: string, outcomes: readonly RunOutcome[]): Promise<void> {
  const { junitOf } = await import("../report/results.js");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, junitOf(outcomes.map((o) => o.results)));
}

/** The worst outcome decides: interrupted, then an error, then a failed expectation, then an inconclusive one. */
export function worstExitCode(outcomes: readonly RunOutcome[], aborted: boolean): number {
  if (aborted) return ExitCode.interrupted;
  const codes = outcomes.map((o) => o.exitCode);
  for (const worst of [ExitCode.interrupted, ExitCode.internal, ExitCode.badInputOrEnvironment, ExitCode.expectationFailed, ExitCode.inconclusive]) if (codes.includes(worst)) return worst;
  return ExitCode.held;
}

/** The flags a run takes, checked: a platform, a time scale, a seed, what an inconclusive result exits with and how often it is run again. */
export async function runFlags(values: { platform?: string; "time-scale"?: string; seed?: string; inconclusive?: string; retries?: string; kubeconfig?: string; context?: string; "allow-context"?: string; registry?: string }): Promise<{
  platform?: PlatformName;
  cluster?: ExternalClusterOptions;
  timeScale?: number;
  seed?: number;
  inconclusive?: "fail" | "inconclusive";
  retries?: number;
}> {
  const { PLATFORMS } = await import("../model/platform-name.js");
  const platform = values.platform as (typeof PLATFORMS)[number] | undefined;
  if (platform !== undefined && !PLATFORMS.includes(platform)) {
    throw new HarnessError("USAGE", `unknown platform "${values.platform}"`, { hint: `use --platform ${PLATFORMS.join(" or --platform ")}` });
  }
  // The cluster flags are --platform kubernetes's; with it, the kubeconfig and context are read and judged before anything starts.
  const clusterFlags = (["kubeconfig", "context", "allow-context", "registry"] as const).filter((f) => values[f] !== undefined);
  if (clusterFlags.length > 0 && platform !== "kubernetes") {
    throw new HarnessError("USAGE", `--${clusterFlags[0]} is for a cluster the harness did not create, and this run is ${platform ? `on ${platform}` : "on each scenario's own platform"}`, {
      hint: "add --platform kubernetes (kind clusters of the harness's own need none of these flags)",
    });
  }
  let cluster: ExternalClusterOptions | undefined;
  if (platform === "kubernetes") {
    cluster = {
      ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
      ...(values.context !== undefined ? { context: values.context } : {}),
      ...(values["allow-context"] !== undefined ? { allowContext: values["allow-context"] } : {}),
      ...(values.registry !== undefined ? { registry: values.registry } : {}),
    };
    const { loadKubeconfig } = await import("../platforms/kubernetes/external-cluster.js");
    const { userDirectory } = await import("../scenario/load-scenario.js");
    const { file } = await loadKubeconfig(cluster, userDirectory());
    cluster.kubeconfig = file;
  }
  const timeScale = values["time-scale"] === undefined ? undefined : Number(values["time-scale"]);
  if (timeScale !== undefined && !(timeScale > 0)) {
    throw new HarnessError("USAGE", `--time-scale must be a positive number, got "${values["time-scale"]}"`, { hint: "e.g. --time-scale 0.01 runs a 600 s stage in 6 s" });
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31)) {
    throw new HarnessError("USAGE", `--seed must be a whole number from 0 to ${2 ** 31 - 1}, got "${values.seed}"`, { hint: "results.json and the report name the seed of every run: pass it to replay one" });
  }
  const inconclusive = values.inconclusive;
  if (inconclusive !== undefined && inconclusive !== "fail" && inconclusive !== "inconclusive") {
    throw new HarnessError("USAGE", `--inconclusive must be "fail" or "inconclusive", got "${inconclusive}"`, { hint: "a run whose only unmet expectations were measured on a saturated machine exits 3; --inconclusive=fail makes it exit 1" });
  }
  const retries = parseRetries(values.retries);
  return {
    ...(platform ? { platform } : {}),
    ...(cluster ? { cluster } : {}),
    ...(timeScale !== undefined ? { timeScale } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(inconclusive ? { inconclusive } : {}),
    ...(retries ? { retries } : {}),
  };
}

/** Each scenario can run on its platform (or the one asked for), and a stage the load cannot judge is warned of, before anything starts. */
export async function checkRunnable(scenarios: readonly Scenario[], flags: { platform?: PlatformName; timeScale?: number }): Promise<void> {
  const [{ checkPlatform }, { sampleSizeWarnings }, { TimeScale }] = await Promise.all([import("../runner/steps.js"), import("../runner/sample-size.js"), import("../common/clock.js")]);
  for (const s of scenarios) checkPlatform(s, flags.platform ?? s.platform);
  for (const s of scenarios) for (const w of sampleSizeWarnings(s, new TimeScale(flags.timeScale ?? s.timeScale))) console.error(`warning: ${w}`);
}
