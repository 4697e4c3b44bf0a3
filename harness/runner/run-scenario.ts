import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { judge, type Judgement } from "../checker/checker.js";
import { startReaper } from "../cleanup/reaper.js";
import { sweep } from "../cleanup/sweep.js";
import { TeardownStack } from "../cleanup/teardown.js";
import { systemClock, TimeScale, waitFor, type Clock } from "../common/clock.js";
import { ExitCode, HarnessError, errorMessage } from "../common/errors.js";
import { newRunId } from "../common/labels.js";
import { ensureEngine } from "../engine/docker.js";
import { databasePause, databaseStop, setFaults, type Fault } from "../faults/fault.js";
import { ImageBuilder } from "../images/builder.js";
import { ROOT } from "../images/catalog.js";
import { DockerPlatform } from "../platforms/docker/docker-platform.js";
import type { Database, Platform, PlatformContext, Service } from "../platforms/platform.js";
import { httpGet } from "../probes/http-probe.js";
import { HealthMonitor } from "../probes/monitor.js";
import { writeResults, type RunResults } from "../report/results.js";
import type { FaultSpec, Scenario } from "../scenario/scenario.js";
import type { Stamped, Verdict } from "../timeline/events.js";
import { Timeline } from "../timeline/timeline.js";

export interface RunOptions {
  timeScale?: number;
  signal: AbortSignal;
  /** Receives every stamped event as it happens (progress output). */
  onEvent?: (e: Stamped) => void;
  runsDir?: string;
  clock?: Clock;
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
  emit({ type: "run.started", runId, scenario: scenario.name, platform: scenario.platform, timeScale: scale.factor, runDir });

  const judgements: Judgement[] = [];
  let error: HarnessError | undefined;
  let reaper: { stop(): void } | undefined;
  try {
    await ensureEngine();
    reaper = startReaper(runId);
    // Registered first, so it runs last: whatever carries the run's label goes, even what a failed start left.
    teardown.add("sweep resources labelled with the run id", async () => {
      await sweep(runId);
    });
    const ctx: PlatformContext = { runId, logDir, emit, teardown, signal: options.signal, images: new ImageBuilder({ emit }) };
    const platform: Platform = new DockerPlatform(ctx);
    const evidence = await execute(scenario, platform, { ctx, scale, clock, timeline });
    for (const e of scenario.expectations) {
      const j = judge(e, { events: timeline.events, ...evidence });
      judgements.push(j);
      emit({ type: "expectation.judged", ...j });
    }
  } catch (e) {
    error = options.signal.aborted
      ? new HarnessError("INTERRUPTED", "the run was interrupted; everything it started is being removed")
      : e instanceof HarnessError
        ? e
        : new HarnessError("CONTAINER_FAILED", errorMessage(e), { cause: e });
    emit({ type: "note", level: "warn", message: `${error.code}: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ""}` });
  }

  const teardownFailures = await teardown.runAll();
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
    runId,
    scenario: scenario.name,
    file: scenario.file,
    platform: scenario.platform,
    verdict,
    exitCode,
    timeScale: scale.factor,
    startedAt: timeline.events[0]!.at,
    wallSeconds,
    specSeconds: scale.toSpecMs(wallSeconds * 1000) / 1000,
    expectations: judgements,
    rollback: null,
    error: error ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } : null,
    teardownFailures,
  };
  writeResults(runDir, results);
  return { verdict, exitCode, runDir, results };
}

interface ExecuteContext {
  ctx: PlatformContext;
  scale: TimeScale;
  clock: Clock;
  timeline: Timeline;
}

async function execute(scenario: Scenario, platform: Platform, { ctx, scale, clock }: ExecuteContext) {
  const { emit, signal, teardown } = ctx;
  const database = scenario.database ? await platform.startDatabase() : undefined;
  const services = new Map<string, Service>();
  for (const v of scenario.versions.values()) {
    signal.throwIfAborted();
    const service = await platform.deploy({ role: v.role, version: v.tag, replicas: v.replicas, faults: v.faults, database });
    services.set(v.role, service);
    // Like a rollout, a version counts as deployed once it is ready (unless it is meant never to be).
    if (!v.faults.readinessFail) await waitReady(service, clock, signal);
  }

  const monitor = new HealthMonitor(
    scenario.monitor.targets.map((t) => ({ service: services.get(t.version)!, paths: t.paths })),
    { intervalMs: Math.max(50, scale.toWallMs(scenario.monitor.intervalMs)), emit, clock },
  );
  teardown.add("stop the health monitor", () => monitor.stop());
  monitor.start();

  const faults = new Map<string, { fault: Fault; undone: boolean }>();
  for (const step of scenario.steps) {
    signal.throwIfAborted();
    const kind = step.fault ? `fault ${step.fault.type}` : step.undo ? `undo ${step.undo}` : "observe";
    emit({ type: "step.started", step: step.name, kind, specSeconds: step.observeMs / 1000, wallSeconds: scale.toWallMs(step.observeMs) / 1000 });
    const started = clock.now();
    if (step.fault) {
      const fault = makeFault(step.fault, database, services);
      const entry = { fault, undone: false };
      faults.set(step.name, entry);
      teardown.add(`undo fault ${fault.name}`, async () => {
        if (!entry.undone) await fault.undo();
      });
      const detail = await fault.inject();
      emit({ type: "fault.injected", fault: fault.name, target: fault.target, detail });
    }
    if (step.undo) {
      const entry = faults.get(step.undo)!;
      await entry.fault.undo();
      entry.undone = true;
      emit({ type: "fault.undone", fault: entry.fault.name, target: entry.fault.target });
    }
    await clock.sleep(scale.toWallMs(step.observeMs), signal);
    emit({ type: "step.finished", step: step.name, kind, wallSeconds: (clock.now() - started) / 1000 });
  }
  await monitor.stop();

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
  return { versions, metrics };
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

function makeFault(spec: FaultSpec, database: Database | undefined, services: Map<string, Service>): Fault {
  if (spec.type === "set-faults") return setFaults(services.get(spec.version)!, spec.settings);
  if (!database) {
    throw new HarnessError("SCENARIO_INVALID", `fault ${spec.type} needs the database, but the scenario sets database: false`, {
      hint: "remove database: false from the scenario",
    });
  }
  return spec.type === "database-pause" ? databasePause(database) : databaseStop(database);
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
