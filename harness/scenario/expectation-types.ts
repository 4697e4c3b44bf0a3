/**
 * What a scenario expects, one type per kind of expectation, as the scenario
 * reader hands them to the checker (harness/checker: one module per kind).
 */
import type { TriggerName } from "../model/strategy.js";
import type { Comparison, Operator } from "../document/comparison.js";
import type { BackupKind } from "../model/backup-kind.js";

export type Expectation =
  | ProbeExpectation
  | MetricsExpectation
  | PodsExpectation
  | RestartsExpectation
  | DeploymentExpectation
  | RollbackExpectation
  | PromotedExpectation
  | TrafficExpectation
  | ThresholdsExpectation
  | RequestsExpectation
  | HealthExpectation
  | RestoredExpectation
  | RecoveryTimeExpectation
  | BackupsExpectation
  | NotifiedExpectation
  | AtRestExpectation
  | RotationExpectation
  | AccessExpectation
  | ConnectivityExpectation
  | ReplicasExpectation
  | BudgetExpectation;

/**
 * The role's PodDisruptionBudget held (kind, an overlay with one): at every
 * observation of the role's pods in a step (or the whole run), at least the
 * budget's minAvailable of them were ready, and the budget's own status had
 * as many healthy as it requires. `evicted`: how many of the role's pods a
 * drain evicted in the window (node.eviction), so that a budget never put to
 * the test does not pass for one that held.
 */
export interface BudgetExpectation extends ExpectationBase {
  readonly kind: "budget";
  readonly version: string;
  readonly during?: string;
  readonly evicted?: CountBound;
  /** How many evictions of the role's pods the budget refused (429) in the window: it held a drain back. */
  readonly refused?: CountBound;
}

/**
 * performance-config.yml's autoscaling, as the API server shows it (kind):
 * the role's pods and its HorizontalPodAutoscaler's status, observed on
 * change, in a step (or the whole run). `above`: at some moment more than
 * that many pods were ready and the autoscaler had as many; `atMost`: never
 * more pods, nor more replicas asked for; `end`: at the window's end exactly
 * that many pods, all ready, and the autoscaler at that count.
 */
export interface ReplicasExpectation extends ExpectationBase {
  readonly kind: "replicas";
  readonly version: string;
  readonly during?: string;
  readonly above?: number;
  readonly atMost?: number;
  readonly end?: number;
}

/**
 * network-policies.yml enforced (kind): a TCP connection tried at the end of
 * the run from `from` (a role's own pod, or a probe pod in a namespace of the
 * run: "monitoring/pod", "run/load-balancer", "outside/pod") to `to` on
 * `port` completes when `allowed`, and gets no connection (dropped or
 * refused) when not.
 */
export interface ConnectivityExpectation extends ExpectationBase {
  readonly kind: "connectivity";
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly allowed: boolean;
}

/**
 * A Secret of the run as etcd stores it (secrets-management.yml: encryption
 * at rest): written with `provider` (its value starts with
 * `k8s:enc:<provider>:v1:`), and none of its values readable in the stored
 * bytes. kind only: read straight from etcd, not through the API server.
 */
export interface AtRestExpectation extends ExpectationBase {
  readonly kind: "atRest";
  readonly secret: string;
  readonly provider: "aescbc";
}

/**
 * Least privilege (access_control: rbac), as the API server answers a
 * SubjectAccessReview at the end of the run: whether the service's
 * ServiceAccount, or the one the harness acted as in the run's namespace,
 * may do `verb` on `resource` in the run's namespace (or `namespace`).
 */
export interface AccessExpectation extends ExpectationBase {
  readonly kind: "access";
  readonly as: "service" | "harness";
  readonly verb: string;
  readonly resource: string;
  readonly group?: string;
  readonly namespace?: string;
  readonly allowed: boolean;
}

/**
 * secrets-management.yml's rotation happened as it should (kind): `completed`
 * rotations finished and none failed; after each, the old database password
 * was refused and every pod running had authenticated with the new one; the
 * encryption key was replaced and every Secret rewritten; and at the end the
 * API server runs the configuration with only the newest key, with no Secret
 * in etcd stored under a retired key or in the clear.
 */
export interface RotationExpectation extends ExpectationBase {
  readonly kind: "rotation";
  readonly completed: CountBound;
}

/**
 * The rollback was announced as rollback-config.yml says: Alertmanager got
 * the alert and the channel's receiver (the Slack webhook, or the ops team's
 * mailbox in Mailpit) had the message within `withinMs` of the decision.
 * Wall time: Alertmanager and the mail relay are not on the game's clock.
 */
export interface NotifiedExpectation {
  readonly id: string;
  readonly description?: string;
  readonly kind: "notified";
  readonly channel: "slack" | "email";
  readonly withinMs: number;
}

/** An upper bound on a spec-time duration: "<=60m". */
export interface TimeBound {
  readonly op: "<" | "<=";
  readonly ms: number;
  readonly text: string;
}

/**
 * After a disaster and a restore, every write the service acknowledged
 * before the restored backup was taken is back, identical (id and a checksum
 * of the row, against the table read before the disaster); at most
 * `rowsLost` are missing or changed.
 */
export interface RestoredExpectation extends ExpectationBase {
  readonly kind: "restored";
  readonly rowsLost: number;
  /** The restore passed over exactly this many newer backups that did not verify (backup.skipped). */
  readonly skipped?: number;
}

/**
 * RPO: spec time from the restored backup to the disaster. RTO: spec time
 * from the disaster to the first write sent after it that the service acknowledged.
 */
export type RecoveryTimeExpectation = RecoveryTime<"rpo"> | RecoveryTime<"rto">;

interface RecoveryTime<K extends "rpo" | "rto"> extends ExpectationBase {
  readonly kind: K;
  readonly bound: TimeBound;
}

/** The backups of a kind in the store at the end of the run: how many, and that each is encrypted (age, not readable without the key). */
export interface BackupsExpectation extends ExpectationBase {
  readonly kind: "backups";
  readonly backupKind: BackupKind;
  readonly count?: CountBound;
  readonly encrypted?: true;
  /** Retention was applied exactly: every backup pruned was past it when pruned, every one kept is within it of the newest. */
  readonly retained?: true;
  /** Count the backups in the store when this step started (from backup.taken and backup.pruned), not at the end of the run. */
  readonly before?: string;
}

/** A count: exactly `value` ("==", written as a bare number) or a bound (">=24"). */
export interface CountBound {
  readonly op: "==" | Operator;
  readonly value: number;
  readonly text: string;
}

/** A rollback happened, fired by `trigger` during `stage` (or, with `none: true`, no rollback at all). */
export interface RollbackExpectation extends ExpectationBase {
  readonly kind: "rollback";
  readonly none: boolean;
  readonly trigger?: TriggerName;
  readonly stage?: string;
}

/** A count of pods or endpoints: every replica, none, or a number. */
export type PodCount = "all" | "none" | number;

/**
 * The version's pods and Service endpoints as the API server reports them
 * (kind platform), in every observation of a step from `within` on.
 */
export interface PodsExpectation extends ExpectationBase {
  readonly kind: "pods";
  readonly version: string;
  readonly during?: string;
  readonly withinMs?: number;
  readonly ready?: PodCount;
  readonly endpoints?: PodCount;
  /** true: every pod there at the window's end restarted in it; false: none restarted and none was replaced. */
  readonly restarted?: boolean;
  /** Every pod runs this version of the reference service. */
  readonly tag?: string;
}

/**
 * How many times the platform itself restarted one instance of a role (its
 * restart policy, the kubelet), counted from instance.restarted events in a
 * step (or the whole run): what a crash loop shows, on either platform.
 */
export interface RestartsExpectation extends ExpectationBase {
  readonly kind: "restarts";
  readonly version: string;
  readonly instance: number;
  readonly during?: string;
  readonly count: CountBound;
  /** A reason the platform gave for waiting between restarts, seen at least once ("CrashLoopBackOff"). */
  readonly waiting?: string;
}

/** The version's live Deployment matches the scenario's environment in the document: replicas, resources, probes. */
export interface DeploymentExpectation extends ExpectationBase {
  readonly kind: "deployment";
  readonly version: string;
}

/** The candidate ended with all the traffic. */
export interface PromotedExpectation extends ExpectationBase {
  readonly kind: "promoted";
}

/** The router's weights, read back from it at the end of the run. */
export interface TrafficExpectation extends ExpectationBase {
  readonly kind: "traffic";
  readonly shares: Readonly<Record<string, number>>;
}

/** The load phase's k6-style thresholds all passed (or, with `passed: false`, at least one failed). */
export interface ThresholdsExpectation extends ExpectationBase {
  readonly kind: "thresholds";
  readonly passed: boolean;
}

/**
 * What the load's requests met in a step (or the whole run), from its
 * per-second stream: how many were dropped (sent and never answered by the
 * service: a transport error or the router's own answer), the share that
 * failed, and which versions answered.
 */
export interface RequestsExpectation extends ExpectationBase {
  readonly kind: "requests";
  readonly during?: string;
  readonly dropped?: CountBound;
  readonly failed?: Comparison;
  readonly versions?: readonly string[];
}

/** At the end of the run, every instance of the version answers `path` with `status`. */
export interface HealthExpectation extends ExpectationBase {
  readonly kind: "health";
  readonly version: string;
  readonly path: string;
  readonly status: number;
}

interface ExpectationBase {
  readonly id: string;
  readonly description?: string;
}

/** Every observation of `path` on `version` during a step (or the whole run) answered `status`. */
export interface ProbeExpectation extends ExpectationBase {
  readonly kind: "probe";
  readonly version: string;
  readonly path: string;
  readonly status: number;
  /** A step name; the whole run when absent. */
  readonly during?: string;
  /** Spec milliseconds after the step starts by which the status must be reached and then held. */
  readonly withinMs?: number;
  /** A readiness check the body must name as failing ("database"). */
  readonly failing?: string;
}

/** The version's own /metrics counted the requests the harness sent it. */
export interface MetricsExpectation extends ExpectationBase {
  readonly kind: "metrics";
  readonly version: string;
  /** Route whose request count must cover every probe answered on that path. */
  readonly route: string;
}
