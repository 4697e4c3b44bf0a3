import { join } from "node:path";
import { collectEvidence, judge, type EvidenceSources, type Judgement } from "../checker/checker.js";
import { killRunProcesses } from "../cleanup/processes.js";
import { startReaper } from "../cleanup/reaper.js";
import { sweep } from "../cleanup/sweep.js";
import { TeardownStack } from "../cleanup/teardown.js";
import { systemClock, TimeScale, type Clock } from "../common/clock.js";
import { ExitCode, HarnessError, asHarnessError, errorMessage } from "../common/errors.js";
import { newRunId } from "../common/labels.js";
import { ROOT } from "../common/paths.js";
import type { StrategyOutcome } from "../controller/controller.js";
import { ensureEngine } from "../engine/docker.js";
import { ImageBuilder } from "../images/builder.js";
import type { PlatformName } from "../model/platform-name.js";
import { KindSession } from "../platforms/kind/session.js";
import type { Platform, PlatformContext, Service } from "../platforms/platform.js";
import { httpGet } from "../probes/http-probe.js";
import { HealthMonitor } from "../probes/monitor.js";
import { PodWatcher } from "../probes/pod-watcher.js";
import { DeploymentHistory } from "../recovery/deployment-history.js";
import { RecoveryDrill } from "../recovery/drill.js";
import { startRouter } from "../traffic/start-router.js";
import { evenShares } from "../traffic/weights.js";
import { RunBackups } from "../recovery/run-backups.js";
import { RESULTS_SCHEMA_VERSION, type RollbackResult, type RunResults } from "../report/results.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Sink, Stamped, Verdict } from "../timeline/events.js";
import { Timeline } from "../timeline/timeline.js";
import type { Router } from "../traffic/router.js";
import { FirstBadRequest, rollbackResult } from "./detection.js";
import { HeadroomWatch } from "../headroom/headroom-watch.js";
import { MACHINE_CORES, MachineBudget, type Admission } from "../coordination/budget.js";
import { estimateCost, type RunCost } from "../coordination/cost.js";
import { saturationExplains } from "./inconclusive.js";
import { startLoad } from "./load-phase.js";
import { createPlatform, provision } from "./provision.js";
import { openRunFolder, writeRunFolder } from "./run-folder.js";
import { checkPlatform, runSteps } from "./steps.js";
import { plannedStrategyRoles, prepareStrategy, startStrategyInfrastructure } from "./strategy-run.js";
import { allSettledOrThrow } from "../common/settled.js";

export { checkPlatform };

export interface RunOptions {
  timeScale?: number;
  /** The run's seed; by default the scenario's own (seed:) or one fixed per scenario name, so nightly runs reproduce. */
  seed?: number;
  signal: AbortSignal;
  /** Receives every stamped event as it happens (progress output). */
  onEvent?: (e: Stamped) => void;
  runsDir?: string;
  clock?: Clock;
  /** Run on this platform instead of the scenario's own. */
  platform?: PlatformName;
  /** The kind cluster of this invocation, shared by its scenarios (created on first use). */
  kind?: KindSession;
  /** What an inconclusive-only run exits with: 3 (the default) or, with "fail", 1 as a failed one does. */
  inconclusive?: "fail" | "inconclusive";
  /** false (--no-wait): start at once even when the machine's budget is taken by other runs, at the run's own risk. */
  wait?: boolean;
  /** The machine-wide budget runs share (the project's own under .state/ unless a test gives another). */
  budget?: MachineBudget;
}

export interface RunOutcome {
  verdict: Verdict;
  exitCode: number;
  runDir: string;
  results: RunResults;
}

/**
 * Runs one scenario: the story of a run. Open its folder and timeline; make
 * sure an engine answers and a reaper watches; provision the platform; run
 * the load, the strategy and the steps; collect the evidence and judge every
 * expectation; tear everything down; write the results.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunOutcome> {
  const clock = options.clock ?? systemClock;
  const scale = new TimeScale(options.timeScale ?? scenario.timeScale);
  const platformName = options.platform ?? scenario.platform;
  checkPlatform(scenario, platformName);
  const runId = newRunId(scenario.name);
  const folder = openRunFolder(options.runsDir ?? join(ROOT, "runs"), runId);
  const timeline = new Timeline({ clock, scale, file: folder.eventsFile });
  if (options.onEvent) timeline.onEvent(options.onEvent);
  const emit = timeline.emit;
  const teardown = new TeardownStack();
  const seed = options.seed ?? scenario.seed ?? defaultSeed(scenario.name);
  emit({ type: "run.started", runId, scenario: scenario.name, platform: platformName, timeScale: scale.factor, seed, runDir: folder.dir });

  // A cluster this run makes for itself goes with it; one from the caller is the caller's to close.
  const kind = options.kind ?? new KindSession({ keep: false });
  const judgements: Judgement[] = [];
  let error: HarnessError | undefined;
  let reaper: { stop(): void } | undefined;
  let rollback: RollbackResult | null = null;
  let strategyResult: RunResults["strategy"] = null;
  // The machine's headroom, watched from the start: a verdict must not blame the system under test for it.
  const headroom = new HeadroomWatch({ clock, emit, limits: scenario.headroom });
  timeline.onEvent((e) => headroom.see(e));
  headroom.start();
  let admission: Admission | undefined;
  let cost: RunCost | undefined;
  try {
    // A share of the machine first: a run that would not fit beside the others waits for them, saying so.
    cost = estimateCost(scenario, platformName);
    admission = await (options.budget ?? new MachineBudget({ clock })).acquire({
      runId,
      scenario: scenario.name,
      cores: cost.cores,
      wait: options.wait !== false,
      onWait: (message) => emit({ type: "note", level: "info", message }),
      signal: options.signal,
    });
    emit({ type: "budget.admitted", cores: cost.cores, detail: cost.detail, machineCores: MACHINE_CORES, waitedSeconds: admission.waitedMs / 1000, fit: admission.fit, beside: admission.beside.map((c) => `${c.scenario} (${c.runId}, ${c.cores} cores)`) });
    await ensureEngine();
    reaper = startReaper(runId);
    // Registered first, so it runs last: whatever carries the run's label goes, even what a failed start left.
    teardown.add("sweep resources labelled with the run id, and the run's processes", async () => {
      killRunProcesses(runId);
      await sweep(runId);
    });
    // The run's backups, before anything is configured: configuration is backed up as it is applied.
    const drill: { current?: RecoveryDrill } = {};
    const backups =
      scenario.backups.length > 0
        ? await RunBackups.open({ runId, spec: scenario.spec.backup, kinds: scenario.backups, database: () => drill.current?.database, scale, clock, originWallMs: timeline.startedAt, emit, teardown, signal: options.signal })
        : undefined;
    const ctx: PlatformContext = {
      runId,
      logDir: folder.logDir,
      emit,
      teardown,
      signal: options.signal,
      images: new ImageBuilder({ emit }),
      ...(backups ? { recordConfiguration: (subject: string, content: string) => void backups.recordConfiguration(subject, content).catch((e: unknown) => emit({ type: "backup.failed", kind: "configuration", error: errorMessage(e) })) } : {}),
    };
    const platform = await createPlatform(platformName, ctx, { kind, scale: scale.factor, environment: scenario.environment, clock });
    const run = await execute(scenario, platform, { ctx, scale, clock, originWallMs: timeline.startedAt, backups, drill, seed, saturation: (from, to) => headroom.saturation(from, to) });
    rollback = run.rollback;
    strategyResult = run.strategy;
    const evidence = { events: timeline.events, ...run.evidence, spec: scenario.spec, ...(scenario.environment ? { environment: scenario.environment } : {}) };
    const span = evidenceSpan(timeline);
    const why = { duringEvidence: headroom.saturation(span.fromMs, span.toMs), strategy: run.strategy?.inconclusive?.saturated ? run.strategy.inconclusive.reason : undefined };
    for (const e of scenario.expectations) {
      const judged = judge(e, evidence);
      const inconclusive = saturationExplains(e.kind, judged, why);
      // timingOnly is for the rule above; results carry the conclusion instead.
      const { timingOnly: _timingOnly, ...j } = judged;
      if (inconclusive) j.inconclusive = inconclusive;
      judgements.push(j);
      emit({ type: "expectation.judged", ...j });
    }
  } catch (e) {
    error = options.signal.aborted ? new HarnessError("INTERRUPTED", "the run was interrupted; everything it started is being removed") : asHarnessError(e);
    emit({ type: "note", level: "warn", message: `${error.code}: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ""}` });
  }

  const teardownFailures = await teardown.runAll();
  if (!options.kind) {
    await kind.close().catch((e: unknown) => teardownFailures.push({ title: "delete the kind cluster", error: errorMessage(e) }));
  }
  reaper?.stop();
  await headroom.stop();
  admission?.release();
  for (const f of teardownFailures) emit({ type: "note", level: "warn", message: `teardown "${f.title}" failed: ${f.error}` });

  const verdict: Verdict = error ? (error.code === "INTERRUPTED" ? "interrupted" : "error") : verdictOf(judgements);
  const exitCode = error ? error.exitCode : verdict === "passed" ? ExitCode.held : verdict === "inconclusive" && options.inconclusive !== "fail" ? ExitCode.inconclusive : ExitCode.expectationFailed;
  const wallSeconds = timeline.elapsedSeconds();
  emit({ type: "run.finished", verdict, exitCode, wallSeconds });
  const results: RunResults = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId,
    scenario: scenario.name,
    file: scenario.file,
    platform: platformName,
    versions: Object.fromEntries([...scenario.versions.values()].map((v) => [v.role, v.tag])),
    verdict,
    exitCode,
    timeScale: scale.factor,
    seed,
    strategy: strategyResult ?? null,
    startedAt: timeline.events[0]!.at,
    wallSeconds,
    specSeconds: scale.toSpecMs(wallSeconds * 1000) / 1000,
    expectations: judgements,
    rollback,
    load: timeline.of("load.finished").map(({ type: _type, at: _at, t: _t, specT: _specT, ...summary }) => summary),
    error: error ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } : null,
    teardownFailures,
    ...(cost && admission ? { budget: { cores: cost.cores, detail: cost.detail, machineCores: MACHINE_CORES, waitedSeconds: round3(admission.waitedMs / 1000), noWait: options.wait === false, fit: admission.fit, beside: admission.beside.map((c) => c.scenario) } } : {}),
    headroom: {
      limits: scenario.headroom,
      saturated: headroom.spans().map((sp) => ({ from: round3((sp.fromMs - timeline.startedAt) / 1000), to: round3((sp.toMs - timeline.startedAt) / 1000), reason: sp.reason })),
    },
  };
  writeRunFolder(folder, results, timeline.events);
  return { verdict, exitCode, runDir: folder.dir, results };
}

interface ExecuteContext {
  ctx: PlatformContext;
  scale: TimeScale;
  clock: Clock;
  /** Wall time the run started: spec time counts from it (backup points, the disaster). */
  originWallMs: number;
  backups: RunBackups | undefined;
  /** Filled in with the run's drill once the database is up (the backups read its current database). */
  drill: { current?: RecoveryDrill };
  seed: number;
  /** Why the machine was saturated during a wall span, if it was (the headroom watch). */
  saturation: (fromMs: number, toMs: number) => string | undefined;
}

/** Provision, then the load, the strategy and the steps side by side; then what the expectations need at the end. */
async function execute(scenario: Scenario, platform: Platform, { ctx, scale, clock, originWallMs, backups, drill: holder, seed, saturation }: ExecuteContext) {
  const { emit, signal, teardown } = ctx;
  // Where the platform names its parts up front, the router and Prometheus start beside the database and the versions.
  const planned = scenario.strategy ? plannedStrategyRoles(scenario, platform) : undefined;
  const [{ database, services }, early] = await allSettledOrThrow([
    provision(scenario, platform, { clock, signal, seed }),
    planned ? startStrategyInfrastructure(platform, planned) : Promise.resolve(undefined),
  ] as const);
  const drill = database ? new RecoveryDrill({ platform, database, services, backups, scale, clock, originWallMs, emit, signal }) : undefined;
  if (drill) holder.current = drill;
  backups?.start();
  const pods = platform.kubernetes ? new PodWatcher(platform.kubernetes, { intervalMs: 500, emit, clock }) : undefined;
  if (pods) teardown.add("stop watching the pods", () => pods.stop());
  pods?.start();

  const strategy = scenario.strategy
    ? await prepareStrategy({
        infrastructure: early ?? (await startStrategyInfrastructure(platform, { stable: services.get("stable")!, candidate: services.get("candidate")! })),
        strategy: scenario.strategy,
        spec: scenario.spec,
        stable: services.get("stable")!,
        candidate: services.get("candidate")!,
        scale,
        clock,
        emit,
        teardown,
        saturation,
        signal,
      })
    : undefined;

  // Load aimed at the router without a strategy: one in front of every role, each as a whole where the platform has a Service for it.
  const router = strategy?.router ?? (scenario.load?.target === "router" ? await startRouter(platform, [...services.values()], evenShares([...services.keys()]), { wholeRoles: true }) : undefined);
  const history = new DeploymentHistory();
  for (const [role, s] of services) history.deployed(role, s.version, clock.now());

  const monitor = new HealthMonitor(
    scenario.monitor.targets.map((t) => ({ service: services.get(t.version)!, paths: t.paths })),
    { intervalMs: Math.max(50, scale.toWallMs(scenario.monitor.intervalMs)), emit, clock },
  );
  teardown.add("stop the health monitor", () => monitor.stop());
  monitor.start();

  const firstBad = new FirstBadRequest(services.get("candidate")?.version, scenario.spec);
  const load = scenario.load
    ? startLoad(scenario.load, {
        baseUrl: scenario.load.target === "router" ? router!.baseUrl : roleUrl(services.get(scenario.load.target)!),
        scale,
        clock,
        emit,
        signal,
        teardown,
        runId: ctx.runId,
        onResult: (r) => {
          firstBad.see(r);
          drill?.writes.see(r);
          history.see(r);
        },
      })
    : undefined;
  if (load && strategy) await load.firstAnswer();

  const steps = runSteps(scenario.steps, { ctx, platform, database, services, scale, clock, pods, drill, history, rollback: scenario.spec.rollback, ...(router ? { gate: router } : {}) });
  let outcome: StrategyOutcome | undefined;
  if (strategy) {
    outcome = await strategy.run(signal);
    // Keep traffic flowing for two analysis intervals, so the evidence shows where it went after the decision.
    await clock.sleep(2 * strategy.intervalMs, signal);
  }
  await steps;
  // Without a strategy the load runs its course; with one it has shown what it had to.
  await load?.finish({ untilDone: !strategy });
  await monitor.stop();
  await pods?.poll();
  await backups?.stop();
  const recovery = drill && (backups || scenario.expectations.some((e) => ["restored", "rpo", "rto", "backups"].includes(e.kind))) ? await drill.evidence() : undefined;

  const collected = await collectEvidence(scenario.expectations, evidenceSources(services, router, emit));
  const versions = new Map([...services].map(([role, s]) => [role, s.version]));
  return {
    evidence: {
      versions,
      metrics: collected.metrics,
      finalHealth: collected.finalHealth,
      ...(collected.finalShares ? { finalShares: collected.finalShares } : {}),
      ...(recovery ? { recovery } : {}),
    },
    rollback: rollbackResult(outcome, firstBad, scenario.spec),
    strategy: outcome ? { result: outcome.result, ...(outcome.inconclusive ? { inconclusive: outcome.inconclusive } : {}) } : null,
  };
}

/** Passed when every expectation held; failed when one failed outright; inconclusive when the rest could not be judged. */
function verdictOf(judgements: readonly Judgement[]): Verdict {
  if (judgements.every((j) => j.held)) return "passed";
  return judgements.some((j) => !j.held && !j.inconclusive) ? "failed" : "inconclusive";
}

/** The wall span the timing expectations' evidence covers: the load's, or the whole run without one. */
function evidenceSpan(timeline: Timeline): { fromMs: number; toMs: number } {
  const started = timeline.of("load.started")[0];
  const finished = timeline.of("load.finished").at(-1);
  return { fromMs: started ? Date.parse(started.at) : timeline.startedAt, toMs: finished ? Date.parse(finished.at) : timeline.startedAt + timeline.elapsedSeconds() * 1000 };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * The seed of a scenario that names none: one fixed per scenario name
 * (FNV-1a), so tonight's run of canary-fail draws what last night's did.
 */
export function defaultSeed(name: string): number {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(name)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h % 2 ** 31;
}

/** Where load aimed at a role goes: the role as a whole where the platform has such an address, else its first instance. */
function roleUrl(service: Service): string {
  return service.baseUrl ?? service.instances[0]!.baseUrl;
}

/** What the checker's collectors read at the end of the run: the router read back (and put on the timeline), instances, plain GETs. */
function evidenceSources(services: ReadonlyMap<string, Service>, router: Router | undefined, emit: Sink): EvidenceSources {
  return {
    async readShares() {
      if (!router) return undefined;
      const shares = await router.readShares();
      emit({ type: "router.observed", shares });
      return shares;
    },
    instances: (role) => services.get(role)?.instances,
    get: (url, options) => httpGet(url, options),
  };
}
