import { join } from "node:path";
import { judge, type Judgement } from "../checker/checker.js";
import { killRunProcesses } from "../cleanup/processes.js";
import { startReaper } from "../cleanup/reaper.js";
import { sweep } from "../cleanup/sweep.js";
import { TeardownStack } from "../cleanup/teardown.js";
import { systemClock, TimeScale, type Clock } from "../common/clock.js";
import { ExitCode, HarnessError, asHarnessError, errorMessage } from "../common/errors.js";
import { newRunId } from "../common/labels.js";
import { ROOT } from "../common/paths.js";
import { DB } from "../model/database.js";
import { ensureEngine } from "../engine/docker.js";
import { ImageBuilder } from "../images/builder.js";
import { copySboms, syftBuilt, type SbomSubject } from "../images/sbom.js";
import type { PlatformName } from "../model/platform-name.js";
import { NODE_IMAGE } from "../platforms/kind/cluster.js";
import { KindSession } from "../platforms/kind/session.js";
import type { KubernetesSession } from "../platforms/kubernetes/session.js";
import type { PlatformContext } from "../platforms/platform.js";
import { RecoveryDrill } from "../recovery/drill.js";
import { RunBackups } from "../recovery/run-backups.js";
import { RESULTS_SCHEMA_VERSION, type RollbackResult, type RunResults } from "../report/results.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Sink, Stamped, Verdict } from "../timeline/events.js";
import { Timeline } from "../timeline/timeline.js";
import { HeadroomWatch } from "../headroom/headroom-watch.js";
import type { OperatorDesk } from "./operator-desk.js";
import { harnessInfo } from "../report/harness-info.js";
import { MACHINE_CORES, MachineBudget, type Admission } from "../coordination/budget.js";
import { estimateCost, type RunCost } from "../coordination/cost.js";
import { saturationExplains } from "./inconclusive.js";
import { createPlatform, runImages } from "./provision.js";
import { openRunFolder, writeRunFolder } from "./run-folder.js";
import { checkPlatform } from "./steps.js";
import { execute } from "./execute.js";
import { recordRun } from "./audit-entries.js";
import { startNotifications } from "./notifications.js";

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
  /** The cluster the invocation was pointed at (--platform kubernetes), shared by its scenarios. */
  kubernetes?: KubernetesSession;
  /** What an inconclusive-only run exits with: 3 (the default) or, with "fail", 1 as a failed one does. */
  inconclusive?: "fail" | "inconclusive";
  /** false (--no-wait): start at once even when the machine's budget is taken by other runs, at the run's own risk. */
  wait?: boolean;
  /** The machine-wide budget runs share (the project's own under .state/ unless a test gives another). */
  budget?: MachineBudget;
  /** A live game day's operator desk (gameday run --live): faults and marks by hand while the run goes. */
  operator?: OperatorDesk;
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
  const images = new ImageBuilder({ emit });
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
      images,
      databaseName: databaseNameOf(scenario),
      ...(backups ? { recordConfiguration: (subject: string, content: string) => void backups.recordConfiguration(subject, content).catch((e: unknown) => emit({ type: "backup.failed", kind: "configuration", error: errorMessage(e) })) } : {}),
    };
    const notifications = await startNotifications(scenario, { runId, logDir: folder.logDir, platform: platformName, emit, teardown, onEvent: (l) => timeline.onEvent(l), signal: options.signal });
    const platform = await createPlatform(platformName, ctx, { kind, kubernetes: options.kubernetes, scale: scale.factor, environment: scenario.environment, clock, workers: scenario.cluster.workers, images: runImages(scenario) });
    const run = await execute(scenario, platform, { ctx, scale, clock, originWallMs: timeline.startedAt, backups, drill, seed, saturation: (from, to) => headroom.saturation(from, to), ...(options.operator ? { operator: options.operator } : {}) });
    await notifications?.settle();
    rollback = run.rollback;
    strategyResult = run.strategy;
    const evidence = { events: timeline.events, ...run.evidence, spec: scenario.spec, ...(scenario.environment ? { environment: scenario.environment } : {}) };
    const span = evidenceSpan(timeline);
    const why = { duringEvidence: headroom.saturation(span.fromMs, span.toMs), strategy: run.strategy?.inconclusive?.saturated ? run.strategy.inconclusive.reason : undefined };
    for (const e of scenario.expectations) {
      const judgeStarted = performance.now();
      const judged = { ...judge(e, evidence), seconds: round3((performance.now() - judgeStarted) / 1000) };
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

  // Nothing more by hand once the run is over, however it ended.
  options.operator?.close();
  const teardownFailures = await teardown.runAll();
  if (!options.kind) {
    await kind.close().catch((e: unknown) => teardownFailures.push({ title: "delete the kind cluster", error: errorMessage(e) }));
  }
  reaper?.stop();
  await headroom.stop();
  admission?.release();
  for (const f of teardownFailures) emit({ type: "note", level: "warn", message: `teardown "${f.title}" failed: ${f.error}` });
  const sboms = options.signal.aborted ? undefined : await runSboms(folder.dir, images, platformName, emit, options.signal);

  const { verdict, exitCode } = runOutcome(judgements, error, options.inconclusive);
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
    harness: harnessInfo(),
    ...(cost && admission ? { budget: { cores: cost.cores, detail: cost.detail, machineCores: MACHINE_CORES, waitedSeconds: round3(admission.waitedMs / 1000), noWait: options.wait === false, fit: admission.fit, beside: admission.beside.map((c) => c.scenario) } } : {}),
    ...(sboms ? { sboms } : {}),
    headroom: {
      limits: scenario.headroom,
      saturated: headroom.spans().map((sp) => ({ from: round3((sp.fromMs - timeline.startedAt) / 1000), to: round3((sp.toMs - timeline.startedAt) / 1000), reason: sp.reason })),
    },
  };
  results.audit = await recordRun(results, timeline.events, scenario.environment, folder.dir);
  if (results.audit.error) emit({ type: "note", level: "warn", message: `the run's records could not be appended to the audit trail ${results.audit.file}: ${results.audit.error}` });
  writeRunFolder(folder, results, timeline.events);
  return { verdict, exitCode, runDir: folder.dir, results };
}

/** The run's database: its environment's own (environments.yml), or the harness's without one. */
export function databaseNameOf(scenario: Pick<Scenario, "environment" | "spec">): string {
  return (scenario.environment ? scenario.spec.environments.get(scenario.environment)?.database : undefined) ?? DB.name;
}

/**
 * A run's verdict and exit code: interrupted or error when it did not
 * complete (the error's own exit code), else from its judgements; an
 * inconclusive-only run exits 3 unless `inconclusive` is "fail".
 */
export function runOutcome(judgements: readonly Judgement[], error: HarnessError | undefined, inconclusive: RunOptions["inconclusive"]): { verdict: Verdict; exitCode: number } {
  const verdict: Verdict = error ? (error.code === "INTERRUPTED" ? "interrupted" : "error") : verdictOf(judgements);
  const exitCode = error ? error.exitCode : verdict === "passed" ? ExitCode.held : verdict === "inconclusive" && inconclusive !== "fail" ? ExitCode.inconclusive : ExitCode.expectationFailed;
  return { verdict, exitCode };
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

/**
 * The SBOMs of the images the run used (and of the kind node image on kind),
 * copied into the run folder: made by syft once per recipe, usually by
 * `npm run images`; one still missing is made here, after the teardown, so
 * that it costs the verdict nothing, where syft is built (on a new machine
 * the run says which it left out). A failure is a warning, not the run's.
 */
async function runSboms(runDir: string, images: ImageBuilder, platform: string, emit: Sink, signal: AbortSignal): Promise<RunResults["sboms"]> {
  try {
    const used: SbomSubject[] = [...(await images.used()), ...(platform === "kind" ? [{ name: "kind-node", ref: NODE_IMAGE, hash: "" }] : [])];
    if (used.length === 0) return undefined;
    // Where syft is not built yet (a new machine), the run does not build it: that would hold its exit for minutes.
    const make = syftBuilt();
    const { sboms, missing } = await copySboms(runDir, used, {
      signal,
      make,
      onMade: (s) => emit({ type: "note", level: "info", message: `SBOM of ${s.ref} made by syft in ${s.seconds.toFixed(1)} s: ${s.packages} packages` }),
    });
    if (missing.length)
      emit({
        type: "note",
        level: "info",
        message: `no SBOM in this run for ${missing.join(", ")}: syft is not built on this machine yet; \`npm run images\` builds it (about 4 minutes on 2 cores) and makes every image's SBOM, which later runs copy`,
      });
    return sboms.length ? sboms : undefined;
  } catch (e) {
    emit({ type: "note", level: "warn", message: `the run's SBOMs could not be made: ${errorMessage(e)}` });
    return undefined;
  }
}
