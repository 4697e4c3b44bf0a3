import { waitFor, type Clock } from "../common/clock.js";
import type { PlatformName } from "../model/platform-name.js";
import { DockerPlatform } from "../platforms/docker/docker-platform.js";
import type { KindSession } from "../platforms/kind/session.js";
import type { KubernetesSession } from "../platforms/kubernetes/session.js";
import type { ExternalClusterOptions } from "../platforms/kubernetes/external-cluster.js";
import type { AddressedRole, Database, Platform, PlatformContext, Service } from "../platforms/platform.js";
import { bucketsEnv } from "../analysis/latency-buckets.js";
import { httpGet } from "../probes/http-probe.js";
import type { Scenario } from "../scenario/scenario.js";
import { faultType } from "../faults/registry.js";
import { stepImages } from "./steps.js";
import { allSettledOrThrow } from "../common/settled.js";

/**
 * The platform a run asked for. kind's cluster comes from the invocation's
 * session (created on first use); kubernetes' is the cluster the invocation
 * was pointed at, reached once.
 */
export async function createPlatform(
  name: PlatformName,
  ctx: PlatformContext,
  options: {
    kind: KindSession;
    kubernetes: KubernetesSession | undefined;
    scale: number;
    environment: string | undefined;
    clock: Clock;
    workers?: number;
    /** The catalog images the run deploys (runImages): a kind cluster made for it gets them while kind creates it. */
    images?: readonly string[];
  },
): Promise<Platform> {
  if (name === "docker") return new DockerPlatform(ctx);
  // Loaded only for Kubernetes: it brings the Kubernetes client, about a second to import.
  const { KindPlatform } = await import("../platforms/kind/kind-platform.js");
  let cluster;
  if (name === "kubernetes") {
    cluster = { cluster: await (options.kubernetes ?? (await kubernetesSession({}))).get(ctx.emit, ctx.signal) };
  } else {
    // What a new cluster's nodes get while kind creates it: the policy agent (an add-on of every cluster of the harness's own) and the run's images.
    const preload = async () => {
      const refs: string[] = [];
      for (const image of [...(options.kind.networkAgent ? ["kube-network-policies"] : []), ...(options.images ?? [])]) refs.push((await ctx.images.ensure(image)).ref);
      return refs;
    };
    const kind = await options.kind.get(ctx.emit, ctx.signal, options.workers ?? 0, preload);
    cluster = { cluster: kind, kind };
  }
  return new KindPlatform(ctx, {
    ...cluster,
    scale: options.scale,
    ...(options.environment ? { environment: options.environment } : {}),
    clock: options.clock,
    networkAgent: options.kind.networkAgent,
  });
}

/**
 * The session of a cluster the harness was pointed at (--platform
 * kubernetes), its images loaded with kind load when the cluster turns out to
 * be a kind cluster on this machine and no registry is given.
 */
export async function kubernetesSession(options: ExternalClusterOptions): Promise<KubernetesSession> {
  const [{ KubernetesSession }, { kindLoadDelivery }] = await Promise.all([import("../platforms/kubernetes/session.js"), import("../platforms/kind/image-load.js")]);
  return new KubernetesSession({ ...options, kindLoad: kindLoadDelivery });
}

export interface Provisioned {
  readonly database: Database | undefined;
  /** Role (stable, candidate, ...) to its deployed service. */
  readonly services: ReadonlyMap<string, Service>;
}

/**
 * What the scenario runs on: its images made available in one go, the
 * database, and each version deployed and ready, all at once where the
 * platform allows it (a version meant never to be ready is not waited for),
 * like a rollout that counts once it is ready.
 */
export async function provision(
  scenario: Scenario,
  platform: Platform,
  { clock, signal, seed, onAddressed }: { clock: Clock; signal: AbortSignal; seed: number; onAddressed?: (role: AddressedRole) => void },
): Promise<Provisioned> {
  const images = runImages(scenario);
  // With a network fault in any step, the services reach the database through a fault proxy from the start.
  const proxied = scenario.steps.some((s) => s.fault && faultType(s.fault.type)?.needsDatabaseProxy);
  const startDatabase = async () => (proxied ? platform.startDatabaseProxy(await platform.startDatabase()) : platform.startDatabase());
  const [database] = await Promise.all([scenario.database ? startDatabase() : undefined, platform.preload?.(images)]);
  // Each role draws from its own seeds: the run's, 1000 apart per role (instance i adds i on Docker).
  const roles = [...scenario.versions.values()].map((v, index) => ({ v, seed: seed + 1000 * index }));
  const deployOne = async ({ v, seed: roleSeed }: (typeof roles)[number]): Promise<[string, Service]> => {
    signal.throwIfAborted();
    const service = await platform.deploy({ role: v.role, version: v.tag, replicas: v.replicas, ...(v.replicasFromEnvironment ? { autoscale: true } : {}), faults: v.faults, database, env: bucketsEnv(scenario.spec), seed: roleSeed, ...(onAddressed ? { onAddressed } : {}) });
    // Without a database the service is rightly never ready (/ready checks it): it counts once it is alive.
    if (!v.faults.readinessFail) await waitAnswering(service, database ? "/ready" : "/health", clock, signal);
    return [v.role, service];
  };
  const deployed: Array<[string, Service]> = [];
  if (platform.deploysConcurrently) deployed.push(...(await allSettledOrThrow(roles.map(deployOne))));
  else for (const r of roles) deployed.push(await deployOne(r));
  const services = new Map<string, Service>(deployed);
  return { database, services };
}

/** The catalog images a run deploys: its versions, what its steps' actions roll out, the router and Prometheus when it has them. */
export function runImages(scenario: Scenario): string[] {
  const images = new Set([...scenario.versions.values()].map((v) => `app:${v.tag}`));
  for (const image of stepImages(scenario.steps)) images.add(image);
  if (scenario.strategy) images.add("haproxy").add("prometheus");
  else if (scenario.load?.target === "router") images.add("haproxy");
  return [...images];
}

async function waitAnswering(service: Service, path: string, clock: Clock, signal: AbortSignal): Promise<void> {
  for (const i of service.instances) {
    await waitFor(async () => ((await httpGet(`${i.baseUrl}${path}`, { timeoutMs: 2000 })).status === 200 ? true : undefined), {
      description: `${i.name} to answer 200 on ${path}`,
      timeoutMs: 60_000,
      intervalMs: 100,
      clock,
      signal,
      hint: `read its log in the run folder's logs/${i.name}.log`,
    });
  }
}
