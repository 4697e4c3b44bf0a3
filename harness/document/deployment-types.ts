import type { Comparison } from "./comparison.js";

/** The deployment strategy document's configuration, typed and validated. Durations in milliseconds. */
export interface DeploymentSpec {
  readonly environments: ReadonlyMap<string, EnvironmentSpec>;
  readonly probes: { readonly liveness: ProbeSpec; readonly readiness: ProbeSpec };
  readonly blueGreen: BlueGreenSpec;
  readonly canary: CanarySpec;
  readonly rollback: RollbackSpec;
  readonly backup: BackupSpec;
  readonly performance: PerformanceSpec;
  readonly approvals: ReadonlyMap<string, ApprovalSpec>;
  readonly audit: ReadonlyMap<string, { retentionDays: number; flags: Record<string, boolean> }>;
  readonly secrets: SecretsSpec;
  readonly networkPolicies: NetworkPoliciesSpec;
}

/** network-policies.yml: each rule's peers by the document's names ("monitoring-namespace", "load-balancer", ...) and its ports. */
export interface NetworkPoliciesSpec {
  readonly ingress: ReadonlyArray<{ readonly peers: readonly string[]; readonly ports: readonly number[] }>;
  readonly egress: ReadonlyArray<{ readonly peers: readonly string[]; readonly ports: readonly number[] }>;
}

/** secrets-management.yml. */
export interface SecretsSpec {
  readonly provider: "kubernetes-secrets" | "vault" | "aws-secrets-manager";
  readonly encryptedAtRest: boolean;
  /** Spec milliseconds a secret (the database password, the encryption key) lives before it is rotated: the document's "30d". */
  readonly rotationMs: number;
  readonly accessControl?: "rbac";
}

export interface EnvironmentSpec {
  readonly name: string;
  readonly url: string;
  readonly database: string;
  readonly replicas: number;
  readonly cpu: Quantity;
  readonly memory: Quantity;
  readonly autoDeploy: boolean;
  readonly approvalRequired: boolean;
}

/** A Kubernetes quantity as written ("500m", "1Gi") and its value (millicores, bytes). */
export interface Quantity {
  readonly text: string;
  readonly value: number;
}

export interface BlueGreenSpec {
  readonly enabled: boolean;
  readonly healthCheckPath: string;
  readonly healthCheckTimeoutMs: number;
  /** Error-rate rollback threshold: the document's "rollback_threshold: 5" means an error rate above 5%. */
  readonly rollbackThreshold: Comparison;
  readonly trafficShift: ReadonlyArray<{ readonly name: string; readonly percentage: number; readonly durationMs: number }>;
}

export interface CanaryStage {
  readonly name: string;
  readonly percentage: number;
  readonly durationMs: number;
  readonly successCriteria: { readonly errorRate?: Comparison; readonly responseTime?: Comparison };
}

export interface CanarySpec {
  readonly enabled: boolean;
  readonly stages: readonly CanaryStage[];
}

/** A probe of the document's Deployment. */
export interface ProbeSpec {
  readonly path: string;
  readonly port: number;
  readonly initialDelayMs: number;
}

export interface RollbackSpec {
  readonly errorRate: Comparison;
  readonly responseTime: Comparison;
  readonly healthCheckFailures: number;
  readonly strategy: "immediate" | "gradual";
  /** Who hears of a rollback (rollback-config.yml's notification): Slack channels and e-mail addresses. */
  readonly notification: { readonly slack: readonly string[]; readonly email: readonly string[] };
}

export interface BackupSpec {
  readonly database: { frequency: Frequency; retentionDays: number; encryption: boolean };
  readonly applicationData: { frequency: Frequency; retentionDays: number; compression: boolean };
  readonly configuration: { frequency: Frequency; retentionDays: number; versioned: boolean };
}

export type Frequency = { readonly every: "on-change" } | { readonly every: "interval"; readonly ms: number; readonly text: string };

export interface PerformanceSpec {
  readonly parallelDeployments: boolean;
  readonly maxConcurrentPods: number;
  readonly readinessTimeoutMs: number;
  readonly resourceLimits: { cpu: Quantity; memory: Quantity };
  readonly autoscaling: { minReplicas: number; maxReplicas: number; targetCpu: number; targetMemory: number };
}

export interface ApprovalSpec {
  readonly required: boolean;
  readonly autoDeploy?: boolean;
  readonly approvers: readonly string[];
  readonly minimumApprovals: number;
}
