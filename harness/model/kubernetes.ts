import { TimeScale } from "../common/clock.js";

/** What the harness reads from a Kubernetes API server: pods, endpoints and Deployments, summarised. */

export interface PodsObservation {
  role: string;
  /** Ready endpoints of the role's Service. */
  endpoints: number;
  pods: Array<{
    name: string;
    version: string;
    phase: string;
    ready: boolean;
    restarts: number;
    /** Why a container of the pod last ended, where one has ("OOMKilled", "Error"): the kubelet's lastState.terminated.reason. */
    lastTerminated?: string;
    /** Why a container of the pod waits to start, where one does ("CrashLoopBackOff"): the kubelet's state.waiting.reason. */
    waiting?: string;
    /** The node it is scheduled on. */
    node?: string;
  }>;
  /** The role's HorizontalPodAutoscaler as its status has it, where it has one (performance-config.yml's autoscaling). */
  autoscaler?: AutoscalerStatus;
  /** The role's PodDisruptionBudget as its status has it, where it has one (the production overlay's). */
  budget?: BudgetStatus;
}

export interface BudgetStatus {
  /** What the budget asks: a count, or a percentage of the pods. */
  minAvailable: number | string;
  /** The budget's pods that are healthy (ready), and how many must be for a voluntary disruption to go ahead. */
  healthy: number;
  desiredHealthy: number;
  /** Disruptions (evictions) it allows now. */
  allowed: number;
}

export interface AutoscalerStatus {
  min: number;
  max: number;
  /** Replicas the Deployment runs, and what the autoscaler last asked for. */
  current: number;
  desired: number;
  /** Average use across the pods as a percentage of what they request, and the targets; undefined until metrics-server has the pods' figures. */
  cpu?: number;
  memory?: number;
  cpuTarget?: number;
  memoryTarget?: number;
}

/** The fields of a live Deployment the document speaks of, for evidence and judgement. */
export interface DeploymentSummary {
  name: string;
  replicas: number;
  readyReplicas: number;
  image: string;
  limits: Record<string, string>;
  requests: Record<string, string>;
  liveness: ProbeSummary | null;
  readiness: ProbeSummary | null;
  /** The rollout's progress deadline, wall seconds (performance-config.yml's readiness_timeout, scaled). */
  progressDeadlineSeconds?: number;
  /** The rolling update's bounds: pods above the replicas (max_concurrent_pods) and pods below them, a number or a percentage. */
  maxSurge?: number | string;
  maxUnavailable?: number | string;
  /** The pods' ServiceAccount ("default" when the template names none), and whether its API token is mounted into them (Kubernetes' default: yes). */
  serviceAccount?: string;
  automountToken?: boolean;
  /**
   * The NetworkPolicies of the namespace that select the pods, their rules
   * in the document's words (peer names, TCP ports); no policies: the pods
   * are not isolated. Absent where the platform did not read them.
   */
  networkPolicy?: { policies: string[]; ingress: NetworkRule[]; egress: NetworkRule[] };
  /** The autoscaler applied with it, where the overlay has one and the scenario leaves the replicas to it: its bounds and targets (percent of requests). */
  autoscaler?: { min: number; max: number; cpuTarget?: number; memoryTarget?: number };
}

/** A network-policies.yml rule: the peers by the document's names ("?" for one no name fits) and the TCP ports. */
export interface NetworkRule {
  readonly peers: readonly string[];
  readonly ports: readonly number[];
}

/** Rules as one line: "from monitoring-namespace:9090, load-balancer:8000" (ports after each rule's peers). */
export function formatNetworkRules(rules: readonly NetworkRule[], direction: "from" | "to"): string {
  if (rules.length === 0) return "none";
  return `${direction} ${rules.map((r) => `${r.peers.join("+")}:${r.ports.join("/") || "any"}`).join(", ")}`;
}

export interface ProbeSummary {
  path: string;
  port: number | string;
  initialDelaySeconds: number;
  periodSeconds: number;
}

/**
 * The rollout's progress deadline never goes below this many wall seconds: at
 * a time scale of 0.01 the document's 300 s would be 3 s, less than a busy
 * kubelet takes to start a pod, and every rollout would be marked as failed.
 */
export const PROGRESS_DEADLINE_FLOOR_SECONDS = 30;

/** The document's readiness_timeout (spec seconds) as the Deployment's progress deadline in wall seconds. */
export function scaleProgressDeadline(specSeconds: number, scale: number): number {
  return new TimeScale(scale).toWallSeconds(specSeconds, PROGRESS_DEADLINE_FLOOR_SECONDS);
}
