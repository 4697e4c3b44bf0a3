import { collectEvidence, type EvidenceSources } from "../checker/checker.js";
import { TimeScale, type Clock } from "../common/clock.js";
import type { StrategyOutcome } from "../controller/controller.js";
import type { Platform, PlatformContext, Service } from "../platforms/platform.js";
import { httpGet } from "../probes/http-probe.js";
import { HealthMonitor } from "../probes/monitor.js";
import { PodWatcher } from "../probes/pod-watcher.js";
import { DeploymentHistory } from "../recovery/deployment-history.js";
import { RecoveryDrill } from "../recovery/drill.js";
import { startRouter } from "../traffic/start-router.js";
import { evenShares } from "../traffic/weights.js";
import { RunBackups } from "../recovery/run-backups.js";
import { SecretRotations } from "../secrets/rotation.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Sink } from "../timeline/events.js";
import type { Router } from "../traffic/router.js";
import { FirstBadRequest, rollbackResult } from "./detection.js";
import { startLoad } from "./load-phase.js";
import { provision } from "./provision.js";
import type { OperatorDesk } from "./operator-desk.js";
import { runSteps } from "./steps.js";
import { plannedStrategyRoles, prepareStrategy, startPlannedInfrastructure, startStrategyInfrastructure, startWhenAddressed } from "./strategy-run.js";
import { allSettledOrThrow } from "../common/settled.js";

/** What one run gives the part that provisions and drives it. */
export interface ExecuteContext {
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
  /** A live game day's operator desk: opened once the services are up, closed before the evidence is read. */
  operator?: OperatorDesk;
}

/** Provision, then the load, the strategy and the steps side by side; then what the expectations need at the end. */
export async function execute(scenario: Scenario, platform: Platform, { ctx, scale, clock, originWallMs, backups, drill: holder, seed, saturation, operator }: ExecuteContext) {
  const { emit, signal, teardown } = ctx;
  // Where the platform names its parts up front, the router and Prometheus start at once, beside the database and the versions.
  const planned = scenario.strategy ? plannedStrategyRoles(scenario, platform) : undefined;
  const first = planned ? startPlannedInfrastructure(platform, planned) : undefined;
  // Elsewhere (kind) they start as soon as the versions' pods have addresses.
  const onPods = scenario.strategy && !first && platform.addressesBeforeReady ? startWhenAddressed(platform) : undefined;
  const provisioning = provision(scenario, platform, { clock, signal, seed, ...(onPods ? { onAddressed: onPods.onAddressed } : {}) });
  onPods?.until(provisioning);
  const [{ database, services }, early] = await allSettledOrThrow([provisioning, first ?? onPods?.infrastructure ?? Promise.resolve(undefined)] as const);
  const drill = database ? new RecoveryDrill({ platform, database, services, backups, scale, clock, originWallMs, emit, signal }) : undefined;
  if (drill) holder.current = drill;
  backups?.start();
  const rotations = scenario.rotation
    ? new SecretRotations({
        everySpecMs: scenario.spec.secrets.rotationMs,
        ...(scenario.rotation.times !== undefined ? { times: scenario.rotation.times } : {}),
        platform,
        database: () => drill?.database,
        onDatabase: (db) => drill?.credentialsChanged(db),
        scale,
        clock,
        emit,
        teardown,
        signal,
      })
    : undefined;
  rotations?.start();
  const pods = platform.kubernetes ? new PodWatcher(platform.kubernetes, { intervalMs: 500, emit, clock }) : undefined;
  if (pods) teardown.add("stop watching the pods", () => pods.stop());
  pods?.start();
  operator?.open({ target: { platform, database, services, ...(drill ? { drill } : {}) }, platform: platform.name, clock, scale, emit, teardown, signal });

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
  // No rotation begins once the steps are over; one under way ends first, under the load.
  await rotations?.stop();
  // Without a strategy the load runs its course; with one it has shown what it had to.
  await load?.finish({ untilDone: !strategy });
  operator?.close();
  await monitor.stop();
  await pods?.poll();
  await backups?.stop();
  const recovery = drill && (backups || scenario.expectations.some((e) => ["restored", "rpo", "rto", "backups"].includes(e.kind))) ? await drill.evidence() : undefined;

  // Whatever the collectors read goes into the evidence as they keep it (sharesRead only says the shares were asked for).
  const { sharesRead: _sharesRead, ...collected } = await collectEvidence(scenario.expectations, evidenceSources(services, router, emit, platform));
  const versions = new Map([...services].map(([role, s]) => [role, s.version]));
  return {
    evidence: { versions, ...collected, ...(recovery ? { recovery } : {}) },
    rollback: rollbackResult(outcome, firstBad, scenario.spec),
    strategy: outcome ? { result: outcome.result, ...(outcome.inconclusive ? { inconclusive: outcome.inconclusive } : {}) } : null,
  };
}

/** Where load aimed at a role goes: the role as a whole where the platform has such an address, else its first instance. */
function roleUrl(service: Service): string {
  return service.baseUrl ?? service.instances[0]!.baseUrl;
}

/** What the checker's collectors read at the end of the run: the router read back (and put on the timeline), instances, plain GETs. */
function evidenceSources(services: ReadonlyMap<string, Service>, router: Router | undefined, emit: Sink, platform: Platform): EvidenceSources {
  const kubernetes = platform.kubernetes;
  return {
    ...(kubernetes ? { kubernetes } : {}),
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
