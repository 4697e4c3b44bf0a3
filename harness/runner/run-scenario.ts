import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { judge, type Judgement } from "../checker/checker.js";
import { startReaper } from "../cleanup/reaper.js";
import { killRunProcesses } from "../cleanup/processes.js";
import { sweep } from "../cleanup/sweep.js";
import { TeardownStack } from "../cleanup/teardown.js";
import { systemClock, TimeScale, waitFor, type Clock } from "../common/clock.js";
import { ExitCode, HarnessError, asHarnessError, errorMessage } from "../common/errors.js";
import { newRunId } from "../common/labels.js";
import { ensureEngine } from "../engine/docker.js";
import { ImageBuilder } from "../images/builder.js";
import { ROOT } from "../common/paths.js";
import { DockerPlatform } from "../platforms/docker/docker-platform.js";
import type { Database, Platform, PlatformContext, Service } from "../platforms/platform.js";
import { httpGet } from "../probes/http-probe.js";
import { HealthMonitor } from "../probes/monitor.js";
import { writeHtmlReport } from "../report/html-report.js";
import { RESULTS_SCHEMA_VERSION, writeResults, type RollbackResult, type RunResults } from "../report/results.js";
import { runLoad } from "../load/run-load.js";
import { isFailed } from "../load/aggregator.js";
import type { RequestResult } from "../load/load-generator.js";
import type { StrategyOutcome } from "../controller/controller.js";
import { prepareStrategy } from "./strategy-run.js";
import type { Scenario } from "../scenario/scenario.js";
import { checkPlatform, runSteps, stepImages } from "./steps.js";

export { checkPlatform };
import type { PlatformName } from "../model/platform-name.js";
import { KindPlatform } from "../platforms/kind/kind-platform.js";
import { KindSession } from "../platforms/kind/session.js";
import { PodWatcher } from "../probes/pod-watcher.js";
import type { Stamped, Verdict } from "../timeline/events.js";
import { Timeline } from "../timeline/timeline.js";

export interface RunOptions {
  timeScale?: number;
  signal: AbortSignal;
  /** Receives every stamped event as it happens (progress output). */
  onEvent?: (e: Stamped) => void;
  runsDir?: string;
  clock?: Clock;
  /** Run on this platform instead of the scenario's own. */
  platform?: PlatformName;
  /** The kind cluster of this invocation, shared by its scenarios (created on first use). */
  kind?: KindSession;
}

export interface RunOutcome {
  verdict: Verdict;
  exitCode: number;
  runDir: string;
  results: RunResults;
}

/** Runs one scenario: provision, steps, observation, judgement, evidence, teardown. */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunOutcome> {
  const clock = options.clock ?? systemClock;
  const scale = new TimeScale(options.timeScale ?? scenario.timeScale);
  const platformName = options.platform ?? scenario.platform;
  checkPlatform(scenario, platformName);
  const runId = newRunId(scenario.name);
  const runsDir = options.runsDir ?? join(ROOT, "runs");
  const runDir = join(runsDir, runId);
  const logDir = join(runDir, "logs");
  mkdirSync(logDir, { recursive: true });
  pointLatest(runsDir, runId);

  const timeline = new Timeline({ clock, scale, file: join(runDir, "events.jsonl") });
  if (options.onEvent) timeline.onEvent(options.onEvent);
  const emit = timeline.emit;
  const teardown = new TeardownStack();
  emit({ type: "run.started", runId, scenario: scenario.name, platform: platformName, timeScale: scale.factor, runDir });

  // A cluster this run makes for itself goes with it; one from the caller is the caller's to close.
  const kind = options.kind ?? new KindSession({ keep: false });
  const judgements: Judgement[] = [];
  let error: HarnessError | undefined;
  let reaper: { stop(): void } | undefined;
  let rollback: RollbackResult | null = null;
  try {
    await ensureEngine();
    reaper = startReaper(runId);
    // Registered first, so it runs last: whatever carries the run's label goes, even what a failed start left.
    teardown.add("sweep resources labelled with the run id, and the run's processes", async () => {
      killRunProcesses(runId);
      await sweep(runId);
    });
    const ctx: PlatformContext = { runId, logDir, emit, teardown, signal: options.signal, images: new ImageBuilder({ emit }) };
    const platform: Platform =
      platformName === "kind"
        ? new KindPlatform(ctx, {
            cluster: await kind.get(emit, options.signal),
            scale: scale.factor,
            ...(scenario.environment ? { environment: scenario.environment } : {}),
            clock,
          })
        : new DockerPlatform(ctx);
    const evidence = await execute(scenario, platform, { ctx, scale, clock, timeline });
    rollback = evidence.rollback;
    for (const e of scenario.expectations) {
      const j = judge(e, { events: timeline.events, ...evidence, spec: scenario.spec, ...(scenario.environment ? { environment: scenario.environment } : {}) });
      judgements.push(j);
      emit({ type: "expectation.judged", ...j });
    }
  } catch (e) {
    error = options.signal.aborted
      ? new HarnessError("INTERRUPTED", "the run was interrupted; everything it started is being removed")
      : asHarnessError(e);
    emit({ type: "note", level: "warn", message: `${error.code}: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ""}` });
  }

  const teardownFailures = await teardown.runAll();
  if (!options.kind) {
    await kind.close().catch((e: unknown) => teardownFailures.push({ title: "delete the kind cluster", error: errorMessage(e) }));
  }
  reaper?.stop();
  for (const f of teardownFailures) emit({ type: "note", level: "warn", message: `teardown "${f.title}" failed: ${f.error}` });

  const verdict: Verdict = error
    ? error.code === "INTERRUPTED"
      ? "interrupted"
      : "error"
    : judgements.every((j) => j.held)
      ? "passed"
      : "failed";
  const exitCode = error ? error.exitCode : verdict === "passed" ? ExitCode.held : ExitCode.expectationFailed;
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
    startedAt: timeline.events[0]!.at,
    wallSeconds,
    specSeconds: scale.toSpecMs(wallSeconds * 1000) / 1000,
    expectations: judgements,
    rollback,
    load: timeline.of("load.finished").map(({ type: _type, at: _at, t: _t, specT: _specT, ...summary }) => summary),
    error: error ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } : null,
    teardownFailures,
  };
  writeResults(runDir, results);
  writeHtmlReport(runDir, results, timeline.events, existsSync(logDir) ? readdirSync(logDir).sort() : []);
  return { verdict, exitCode, runDir, results };
}

interface ExecuteContext {
  ctx: PlatformContext;
  scale: TimeScale;
  clock: Clock;
  timeline: Timeline;
}

async function execute(scenario: Scenario, platform: Platform, { ctx, scale, clock }: ExecuteContext): Promise<ExecuteEvidence> {
  const { emit, signal, teardown } = ctx;
  const images = new Set([...scenario.versions.values()].map((v) => `app:${v.tag}`));
  for (const image of stepImages(scenario.steps)) images.add(image);
  if (scenario.strategy) images.add("haproxy").add("prometheus");
  const [database] = await Promise.all([scenario.database ? platform.startDatabase() : undefined, platform.preload?.([...images])]);
  const services = new Map<string, Service>();
  const pods = platform.kubernetes ? new PodWatcher(platform.kubernetes, { intervalMs: 500, emit, clock }) : undefined;
  if (pods) teardown.add("stop watching the pods", () => pods.stop());
  for (const v of scenario.versions.values()) {
    signal.throwIfAborted();
    const service = await platform.deploy({ role: v.role, version: v.tag, replicas: v.replicas, faults: v.faults, database });
    services.set(v.role, service);
    // Like a rollout, a version counts as deployed once it is ready (unless it is meant never to be).
    if (!v.faults.readinessFail) await waitReady(service, clock, signal);
  }
  pods?.start();

  const strategy = scenario.strategy
    ? await prepareStrategy({
        platform,
        strategy: scenario.strategy,
        spec: scenario.spec,
        stable: services.get("stable")!,
        candidate: services.get("candidate")!,
        scale,
        clock,
        emit,
        teardown,
      })
    : undefined;

  const monitor = new HealthMonitor(
    scenario.monitor.targets.map((t) => ({ service: services.get(t.version)!, paths: t.paths })),
    { intervalMs: Math.max(50, scale.toWallMs(scenario.monitor.intervalMs)), emit, clock },
  );
  teardown.add("stop the health monitor", () => monitor.stop());
  monitor.start();

  // Load runs beside the steps and the strategy; a strategy run stops it a little after the strategy ends.
  const loadStop = new AbortController();
  let load: Promise<unknown> | undefined;
  teardown.add("stop the load", async () => {
    loadStop.abort();
    await load?.catch(() => undefined);
  });
  const flowing = deferred();
  const firstBad = new FirstBadRequest(services.get("candidate")?.version, scenario.spec);
  load = scenario.load
    ? runLoad(scenario.load, {
        baseUrl: scenario.load.target === "router" ? strategy!.router.baseUrl : services.get(scenario.load.target)!.instances[0]!.baseUrl,
        scale,
        emit,
        signal,
        stop: loadStop.signal,
        clock,
        runId: ctx.runId,
        onResult: (r) => {
          firstBad.see(r);
          flowing.resolve();
        },
      })
    : undefined;
  load?.catch(() => undefined); // judged below; an early rejection must not go unhandled meanwhile
  if (load && strategy) await firstAnswer(flowing.promise, load, clock, signal);

  const steps = runSteps(scenario.steps, { database, services, ctx, scale, clock, platform, pods });
  let outcome: StrategyOutcome | undefined;
  if (strategy) {
    outcome = await strategy.run(signal);
    // Keep traffic flowing for two analysis intervals, so the evidence shows where it went after the decision.
    await clock.sleep(2 * strategy.intervalMs, signal);
  }
  await steps;
  if (load) {
    if (!strategy) await load;
    loadStop.abort();
    await load;
  }
  await monitor.stop();
  await pods?.poll();

  const finalShares = strategy ? await strategy.router.readShares() : undefined;
  if (finalShares) emit({ type: "router.observed", shares: finalShares });
  const finalHealth = new Map<string, Array<number | null>>();
  for (const e of scenario.expectations) {
    if (e.kind !== "health") continue;
    const statuses: Array<number | null> = [];
    for (const i of services.get(e.version)!.instances) statuses.push((await httpGet(`${i.baseUrl}${e.path}`)).status);
    finalHealth.set(`${e.version} ${e.path}`, statuses);
  }

  // The services' own account of what they served, read after the monitor stopped so no probe is in flight.
  const metrics = new Map<string, string[]>();
  for (const [role, service] of services) {
    const texts: string[] = [];
    for (const i of service.instances) {
      const obs = await httpGet(`${i.baseUrl}/metrics`, { keepText: true });
      if (obs.status === 200 && obs.text) texts.push(obs.text);
    }
    metrics.set(role, texts);
  }
  const versions = new Map([...services].map(([role, s]) => [role, s.version]));
  const rollback = outcome?.rollback
    ? {
        trigger: outcome.rollback.trigger,
        source: outcome.rollback.source,
        stage: outcome.rollback.stage,
        reason: outcome.rollback.reason,
        strategy: scenario.spec.rollback.strategy,
        detectedAfterSeconds: firstBad.at(outcome.rollback.trigger) === undefined ? null : round3((outcome.rollback.decidedAt - firstBad.at(outcome.rollback.trigger)!) / 1000),
        completedAfterSeconds: round3((outcome.rollback.completedAt - outcome.rollback.decidedAt) / 1000),
      }
    : null;
  return { versions, metrics, finalHealth, ...(finalShares ? { finalShares } : {}), rollback };
}

interface ExecuteEvidence {
  versions: Map<string, string>;
  metrics: Map<string, string[]>;
  finalHealth: Map<string, Array<number | null>>;
  finalShares?: Record<string, number>;
  rollback: RollbackResult | null;
}

/** A canary judged before any traffic reaches it would judge nothing: the strategy starts once the load's first answer is in. */
async function firstAnswer(flowing: Promise<void>, load: Promise<unknown>, clock: Clock, signal: AbortSignal): Promise<void> {
  const deadline = new AbortController();
  const onAbort = () => deadline.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const outcome = await Promise.race([
      flowing.then(() => "flowing" as const),
      load.then(
        () => "ended" as const,
        () => "ended" as const,
      ),
      clock.sleep(120_000, deadline.signal).then(
        () => "timeout" as const,
        () => "aborted" as const,
      ),
    ]);
    signal.throwIfAborted();
    if (outcome === "flowing") return;
    throw new HarnessError(outcome === "timeout" ? "TIMEOUT" : "COMMAND_FAILED", `the load ${outcome === "timeout" ? "sent nothing within 120 s" : "ended before any request was answered"}, so the strategy cannot be judged`, {
      hint: "run `bash scripts/tools.sh vegeta` to check the load generator; the run's events.jsonl shows the load phase",
    });
  } finally {
    deadline.abort();
    signal.removeEventListener("abort", onAbort);
  }
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** The first request the candidate answered badly, per trigger: the start of the clock for detection latency. */
class FirstBadRequest {
  private failedAt: number | undefined;
  private slowAt: number | undefined;
  private readonly slowMs: number;

  constructor(
    private readonly candidate: string | undefined,
    spec: Scenario["spec"],
  ) {
    // The lowest latency bound in play: the strictest stage criterion, or the trigger.
    const bounds = [spec.rollback.responseTime.value, ...spec.canary.stages.map((s) => s.successCriteria.responseTime?.value ?? Infinity)];
    this.slowMs = Math.min(...bounds);
  }

  see(r: RequestResult): void {
    if (r.version !== this.candidate) return;
    if (this.failedAt === undefined && isFailed(r.code)) this.failedAt = r.at;
    if (this.slowAt === undefined && r.latencyMs > this.slowMs) this.slowAt = r.at;
  }

  at(trigger: string): number | undefined {
    return trigger === "error_rate" ? this.failedAt : trigger === "response_time" ? this.slowAt : undefined;
  }
}

async function waitReady(service: Service, clock: Clock, signal: AbortSignal): Promise<void> {
  for (const i of service.instances) {
    await waitFor(async () => ((await httpGet(`${i.baseUrl}/ready`, { timeoutMs: 2000 })).status === 200 ? true : undefined), {
      description: `${i.name} to answer 200 on /ready`,
      timeoutMs: 60_000,
      intervalMs: 100,
      clock,
      signal,
      hint: `read its log in the run folder's logs/${i.name}.log`,
    });
  }
}

function pointLatest(runsDir: string, runId: string): void {
  const latest = join(runsDir, "latest");
  rmSync(latest, { force: true });
  try {
    symlinkSync(runId, latest);
  } catch {
    /* a file system without symlinks only loses the shortcut */
  }
}
