import { faultType } from "../faults/registry.js";
import type { PlatformName } from "../model/platform-name.js";
import { wallRate } from "../load/profile.js";
import type { Scenario } from "../scenario/scenario.js";

/**
 * What a run costs the machine, in cores: its containers at rest, plus its
 * load, which every request crosses several times (vegeta, HAProxy, the
 * service, PostgreSQL, the harness reading the answers). The constants are
 * measured on a 2-core machine of this kind from the headroom samples of
 * the shipped scenarios (see the concurrency bench); they are an estimate
 * to share a machine by, not a promise.
 */
export const COST = {
  /** The harness's own process (timeline, probes, analysis). */
  harnessCores: 0.15,
  /** A container at rest (PostgreSQL, a service instance, HAProxy, Prometheus, a fault proxy). */
  containerCores: 0.04,
  /** Per request per second of load, end to end. */
  coresPerRequestPerSecond: 0.004,
  /** A kind node: the API server, etcd, the controllers and the kubelet. */
  kindNodeCores: 0.6,
} as const;

export interface RunCost {
  cores: number;
  /** How the estimate was made, for messages: "5 containers, 200 req/s". */
  detail: string;
}

export function estimateCost(scenario: Scenario, platform: PlatformName = scenario.platform): RunCost {
  const instances = [...scenario.versions.values()].reduce((a, v) => a + v.replicas, 0);
  const proxied = scenario.steps.some((s) => s.fault && faultType(s.fault.type)?.needsDatabaseProxy);
  const routed = scenario.strategy !== undefined || scenario.load?.target === "router";
  const containers = instances + (scenario.database ? 1 : 0) + (proxied ? 1 : 0) + (routed ? 1 : 0) + (scenario.strategy ? 1 : 0);
  const rate = scenario.load ? wallRate(scenario.load) : 0;
  const cores = COST.harnessCores + COST.containerCores * containers + COST.coresPerRequestPerSecond * rate + (platform === "kind" ? COST.kindNodeCores : 0);
  const parts = [`${containers} containers`, ...(rate > 0 ? [`${Math.round(rate)} req/s`] : []), ...(platform === "kind" ? ["a kind node"] : [])];
  return { cores: Math.round(cores * 100) / 100, detail: parts.join(", ") };
}
