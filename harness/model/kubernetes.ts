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
  }>;
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
}

export interface ProbeSummary {
  path: string;
  port: number | string;
  initialDelaySeconds: number;
  periodSeconds: number;
}
