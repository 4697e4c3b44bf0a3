import type { Clock, TimeScale } from "../common/clock.js";
import { formatDuration } from "../common/duration.js";
import { HarnessError } from "../common/errors.js";
import { performAction } from "../actions/action.js";
import { actionType } from "../actions/registry.js";
import { faultType } from "../faults/registry.js";
import { PLATFORMS, type PlatformName } from "../model/platform-name.js";
import type { RollbackSpec } from "../document/deployment-types.js";
import type { Database, InstanceGate, Platform, PlatformContext, Service } from "../platforms/platform.js";
import type { PodWatcher } from "../probes/pod-watcher.js";
import type { Scenario, Step } from "../scenario/scenario.js";
import type { DeploymentHistory } from "../recovery/deployment-history.js";
import type { RecoveryDrill } from "../recovery/drill.js";
import { FaultSchedule } from "./fault-schedule.js";

export interface StepsContext {
  readonly ctx: PlatformContext;
  readonly platform: Platform;
  readonly database: Database | undefined;
  readonly services: ReadonlyMap<string, Service>;
  readonly scale: TimeScale;
  readonly clock: Clock;
  readonly pods: PodWatcher | undefined;
  /** The run's disaster recovery drill (its current database), when it has a database. */
  readonly drill?: RecoveryDrill | undefined;
  /** The run's deployment history: an action that changes a role's version is recorded in it. */
  readonly history?: DeploymentHistory;
  readonly rollback?: RollbackSpec;
  /** The router in front of the roles, when the run has one. */
  readonly gate?: InstanceGate;
}

/**
 * Runs the scenario's steps in order: each injects a fault, undoes one, or
 * performs an operator action (from the registries), then observes for its
 * spec time. A fault with `at` is injected that long into its step, while the
 * step observes; one with `for` is undone by itself that long after
 * injection, while the steps go on (harness/runner/fault-schedule.ts keeps
 * that time). Every fault has its undo registered on the teardown before it
 * is injected, so it is undone even when the run fails; the steps end when
 * the last one has observed and every fault with `for` has ended.
 */
export async function runSteps(steps: readonly Step[], { ctx, platform, database, services, scale, clock, pods, drill, history, rollback, gate }: StepsContext): Promise<void> {
  const { emit, signal, teardown } = ctx;
  const schedule = new FaultSchedule({ clock, scale, emit, teardown, signal });
  try {
    for (const step of steps) {
      signal.throwIfAborted();
      schedule.throwIfFailed();
      const kind = stepKind(step);
      emit({ type: "step.started", step: step.name, kind, specSeconds: step.observeMs / 1000, wallSeconds: scale.toWallMs(step.observeMs) / 1000 });
      const started = clock.now();
      let injected: Promise<void> | undefined;
      if (step.fault) {
        // A restore may have replaced the database the run started with.
        const fault = faultType(step.fault.type)!.create(step.fault, { platform, database: drill?.database ?? database, services, ...(drill ? { drill } : {}) });
        injected = schedule.start(step.name, fault, { atMs: step.faultAtMs ?? 0, forMs: step.faultForMs });
        // Without `at`, the fault is in place before the step observes.
        if (!step.faultAtMs) await injected;
      }
      if (step.undo) await schedule.undo(step.undo);
      if (step.action) {
        const action = actionType(step.action.type)!;
        const actionStarted = clock.now();
        const detail = await performAction(action, step.action, { platform, services, ...(drill ? { drill } : {}), ...(history ? { history } : {}), ...(rollback ? { rollback } : {}), ...(gate ? { gate } : {}) });
        // The role's version from the action's start: answers of the new version sent since are its own.
        for (const role of action.roles(step.action)) {
          const service = services.get(role);
          if (service) history?.deployed(role, service.version, actionStarted);
        }
        emit({ type: "action.performed", action: step.action.type, target: action.roles(step.action)[0] ?? "database", detail });
        await pods?.poll();
      }
      // The step observes for its time, its fault with `at` injected meanwhile; a fault failing in the background ends it at once.
      await schedule.during(Promise.all([clock.sleep(scale.toWallMs(step.observeMs), schedule.signal), injected]));
      await pods?.poll();
      emit({ type: "step.finished", step: step.name, kind, wallSeconds: (clock.now() - started) / 1000 });
    }
    await schedule.settle();
  } finally {
    schedule.close();
  }
}

function stepKind(step: Step): string {
  if (step.fault) {
    const at = step.faultAtMs ? ` at ${formatDuration(step.faultAtMs)}` : "";
    const lasting = step.faultForMs !== undefined ? ` for ${formatDuration(step.faultForMs)}` : "";
    return `fault ${step.fault.type}${at}${lasting}`;
  }
  return step.undo ? `undo ${step.undo}` : step.action ? `action ${step.action.type}` : "observe";
}

/** Catalog images the steps will need (a rollout's version), to make available before the run starts. */
export function stepImages(steps: readonly Step[]): string[] {
  return steps.flatMap((s) => (s.action ? actionType(s.action.type)!.images(s.action) : []));
}

/** What in a scenario the platform cannot do, from the registries: each entry names the step or expectation. */
export function unsupported(scenario: Scenario, platform: PlatformName): string[] {
  const out: string[] = [];
  if (scenario.pipeline && platform !== "kind") out.push("its pipeline (each environment's overlay on kind)");
  if (scenario.rotation && platform !== "kind") out.push("its secret rotation (the cluster's encryption key)");
  for (const s of scenario.steps) {
    if (s.fault && !faultType(s.fault.type)!.platforms.includes(platform)) out.push(`step ${s.name}: fault ${s.fault.type}`);
    if (s.action && !actionType(s.action.type)!.platforms.includes(platform)) out.push(`step ${s.name}: action ${s.action.type}`);
  }
  if (scenario.cluster.workers > 0 && platform !== "kind") out.push(`its cluster of ${scenario.cluster.workers} worker node(s) (a kind cluster's shape)`);
  // PostgreSQL in a cluster the harness was pointed at is a pod: no pg_dump from outside, no second server to restore into.
  if (scenario.backups.length > 0 && platform === "kubernetes") out.push("its backups (pg_dump in the database's container)");
  for (const e of scenario.expectations) {
    // Through the API server: any cluster. In the control-plane node (etcd, the encryption key): a kind cluster of the harness's own.
    const api = e.kind === "pods" || e.kind === "deployment" || e.kind === "access" || e.kind === "connectivity" || e.kind === "replicas" || e.kind === "budget";
    const node = e.kind === "atRest" || e.kind === "rotation";
    if ((api && platform === "docker") || (node && platform !== "kind")) out.push(`expectation ${e.id}: ${e.kind}`);
  }
  return out;
}

/** A scenario that asks for what its platform cannot do: a USAGE error before anything starts. */
export function checkPlatform(scenario: Scenario, platform: PlatformName): void {
  const missing = unsupported(scenario, platform);
  if (missing.length === 0) return;
  const able = PLATFORMS.filter((p) => unsupported(scenario, p).length === 0);
  throw new HarnessError("USAGE", `scenario ${scenario.name} cannot run on ${platform}: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not available there`, {
    hint: able.length > 0 ? `run it with ${able.map((p) => `--platform ${p}`).join(" or ")}` : "no platform can run all of it: split the scenario",
  });
}
