import { PrometheusAnalysis } from "../analysis/analysis.js";
import { launchPrometheus, type PrometheusClient } from "../analysis/prometheus.js";
import type { Clock, TimeScale } from "../common/clock.js";
import { runStrategy, type StrategyOutcome } from "../controller/controller.js";
import { stagesFor } from "../document/stages.js";
import type { AddressedRole, InstanceGate, Platform, Service } from "../platforms/platform.js";
import { allSettledOrThrow } from "../common/settled.js";
import type { Scenario, StrategySpec } from "../scenario/scenario.js";
import type { DeploymentSpec } from "../document/deployment-spec.js";
import type { Sink } from "../timeline/events.js";
import type { Router } from "../traffic/router.js";
import { startRouter } from "../traffic/start-router.js";
import { HAPROXY_PORTS, type HaproxyRouter } from "../traffic/haproxy-router.js";
import type { TeardownStack } from "../cleanup/teardown.js";

/**
 * Floors for scaled analysis. Prometheus scrapes every 250 ms and rate()
 * needs two samples, so a window under 2 s (8 scrapes) would judge noise;
 * an interval under 1 s (4 scrapes) would re-judge the same samples.
 */
export const SCRAPE_INTERVAL_MS = 250;
export const ANALYSIS_FLOOR = { intervalMs: 1000, windowMs: 2000 } as const;

export function analysisTiming(strategy: StrategySpec, scale: TimeScale): { intervalMs: number; windowMs: number } {
  return {
    intervalMs: Math.max(ANALYSIS_FLOOR.intervalMs, scale.toWallMs(strategy.intervalMs)),
    windowMs: Math.max(ANALYSIS_FLOOR.windowMs, scale.toWallMs(strategy.windowMs)),
  };
}

export interface StrategyParts {
  /** The router, which is also the gate of a rolling replacement behind it. */
  router: Router & InstanceGate;
  /** Performs the strategy; resolves when it is promoted or rolled back. */
  run(signal: AbortSignal): Promise<StrategyOutcome>;
  /** Wall milliseconds between two analyses. */
  intervalMs: number;
}

/** The router and Prometheus in front of a strategy's two roles. */
export interface StrategyInfrastructure {
  router: HaproxyRouter;
  prometheus: PrometheusClient;
  /** Resolves once Prometheus has scraped every target: the versions must be up by then. */
  scraping(signal?: AbortSignal): Promise<void>;
}

/**
 * Start the router (every request on stable) and Prometheus in front of the
 * roles: deployed, or (where the platform reports addresses before ready)
 * only addressed. There Prometheus starts as soon as the router has its
 * address; elsewhere once the router is up, with the router's own.
 */
export async function startStrategyInfrastructure(platform: Platform, roles: { stable: AddressedRole; candidate: AddressedRole }): Promise<StrategyInfrastructure> {
  if (platform.addressesBeforeReady) {
    // Prometheus starts as soon as the router has its address, and both roll out side by side.
    let addressed!: (address: string) => void;
    const routerMetrics = new Promise<string>((resolve) => (addressed = resolve));
    const router = startRouter(platform, both(roles), initialShares(roles), { onAddressed: (address) => addressed(address(HAPROXY_PORTS.metrics)) });
    // A router that fails before its address is known settles this part too.
    const prometheus = Promise.race([routerMetrics, router.then((r) => r.metricsAddress ?? routerMetrics)]).then((metrics) => launchPrometheus(platform, both(roles), prometheusOptions(metrics)));
    const [r, launched] = await allSettledOrThrow([router, prometheus] as const);
    return { router: r, prometheus: launched.client, scraping: launched.scraping };
  }
  const router = await startRouter(platform, both(roles), initialShares(roles));
  const launched = await launchPrometheus(platform, both(roles), prometheusOptions(router.metricsAddress ?? `router:${HAPROXY_PORTS.metrics}`));
  return { router, prometheus: launched.client, scraping: launched.scraping };
}

/**
 * Where the platform names its parts up front (Docker): the router and
 * Prometheus start at once, beside the database and the versions, with
 * every target known before it is up. Prometheus (our build, whose
 * discovery hands targets to its scrapers within 100 ms: scripts/
 * prometheus.patch) scrapes each target from the first scrape interval
 * after it answers, so the strategy can begin about one interval after the
 * last version is up.
 */
export function startPlannedInfrastructure(
  platform: Platform,
  roles: { stable: AddressedRole; candidate: AddressedRole; routerMetrics: string },
): Promise<StrategyInfrastructure> {
  const prometheus = launchPrometheus(platform, both(roles), prometheusOptions(roles.routerMetrics));
  const router = startRouter(platform, both(roles), initialShares(roles));
  return allSettledOrThrow([router, prometheus] as const).then(([r, launched]) => ({ router: r, prometheus: launched.client, scraping: launched.scraping }));
}

/**
 * Where addresses come only with the pods (kind): the router and Prometheus
 * start as soon as both roles' pods have addresses, beside their rollout
 * (Prometheus scrapes every pod by its IP, the router's too).
 * `infrastructure` resolves undefined when provisioning ended before that
 * (the caller then starts them after it, as before).
 */
export function startWhenAddressed(platform: Platform): {
  onAddressed: (role: AddressedRole) => void;
  until: (provisioning: Promise<unknown>) => void;
  infrastructure: Promise<StrategyInfrastructure | undefined>;
} {
  const roles = new Map<string, AddressedRole>();
  let settle!: (roles: { stable: AddressedRole; candidate: AddressedRole } | undefined) => void;
  const addressed = new Promise<{ stable: AddressedRole; candidate: AddressedRole } | undefined>((resolve) => (settle = resolve));
  return {
    onAddressed(role) {
      roles.set(role.role, role);
      const stable = roles.get("stable");
      const candidate = roles.get("candidate");
      if (stable && candidate) settle({ stable, candidate });
    },
    until(provisioning) {
      provisioning.then(
        () => settle(undefined),
        () => settle(undefined),
      );
    },
    infrastructure: addressed.then((r) => (r ? startStrategyInfrastructure(platform, r) : undefined)),
  };
}

const both = (roles: { stable: AddressedRole; candidate: AddressedRole }) => [roles.stable, roles.candidate];
const initialShares = (roles: { stable: AddressedRole; candidate: AddressedRole }) => ({ [roles.stable.role]: 100, [roles.candidate.role]: 0 });
const prometheusOptions = (router: string) => ({ scrapeIntervalMs: SCRAPE_INTERVAL_MS, router });

/** The strategy's two roles as they will be on the platform's network, where the platform names them up front. */
export function plannedStrategyRoles(scenario: Scenario, platform: Platform): { stable: AddressedRole; candidate: AddressedRole; routerMetrics: string } | undefined {
  if (!platform.plannedAddresses || !platform.plannedComponentAddress) return undefined;
  const plan = (role: string): AddressedRole | undefined => {
    const v = scenario.versions.get(role);
    return v && { role, instances: platform.plannedAddresses!(role, v.replicas).map((address) => ({ address })) };
  };
  const stable = plan("stable");
  const candidate = plan("candidate");
  return stable && candidate ? { stable, candidate, routerMetrics: platform.plannedComponentAddress("router", HAPROXY_PORTS.metrics) } : undefined;
}

/** With the router and Prometheus started: wait for Prometheus's first scrapes, and watch the router's weights independently of the controller. */
export async function prepareStrategy(args: {
  infrastructure: StrategyInfrastructure;
  strategy: StrategySpec;
  spec: DeploymentSpec;
  stable: Service;
  candidate: Service;
  scale: TimeScale;
  clock: Clock;
  emit: Sink;
  teardown: TeardownStack;
  /** Why the machine was saturated during a wall span: a breach then is not acted on. */
  saturation?: (fromMs: number, toMs: number) => string | undefined;
  signal?: AbortSignal;
}): Promise<StrategyParts> {
  const { infrastructure, strategy, spec, stable, candidate, scale, clock, emit, teardown, saturation, signal } = args;
  const { router, prometheus } = infrastructure;
  await infrastructure.scraping(signal);
  const { intervalMs, windowMs } = analysisTiming(strategy, scale);

  // The checker's view of the router: read back on its own schedule, never taken from the controller.
  const observer = new AbortController();
  const observing = (async () => {
    while (!observer.signal.aborted) {
      try {
        emit({ type: "router.observed", shares: await router.readShares() });
      } catch {
        /* a missed read shows as a gap in the evidence */
      }
      await clock.sleep(Math.min(250, intervalMs / 2), observer.signal).catch(() => undefined);
    }
  })();
  teardown.add("stop watching the router", async () => {
    observer.abort();
    await observing;
  });

  const run = (signal: AbortSignal) =>
    runStrategy({
      strategy: strategy.name,
      stages: stagesFor(strategy.name, spec),
      triggers: spec.rollback,
      rollbackStrategy: spec.rollback.strategy,
      stable,
      candidate,
      router,
      analysis: new PrometheusAnalysis(prometheus, strategy.latency, SCRAPE_INTERVAL_MS),
      healthPath: spec.blueGreen.healthCheckPath,
      ...(strategy.name === "blue-green" ? { healthCheckTimeoutMs: spec.blueGreen.healthCheckTimeoutMs } : {}),
      intervalMs,
      windowMs,
      minRequests: strategy.minRequests,
      policy: strategy.decision,
      ...(saturation ? { saturation } : {}),
      scale,
      clock,
      emit,
      signal,
    });
  return { router, run, intervalMs };
}
