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
}

export interface ProbeSummary {
  path: string;
  port: number | string;
  initialDelaySeconds: number;
  periodSeconds: number;
}
