/** A scenario as the harness runs it: read from scenarios/<name>.yaml and validated. */
export interface Scenario {
  /** The file it was read from, relative to the project when inside it. */
  readonly file: string;
  readonly name: string;
  readonly description: string;
  /** Words to select it by in a suite (`gameday suite --tag nightly`), beside those the suite derives (its strategy, platform, ...). */
  readonly tags: readonly string[];
  /** An environment of the deployment document (development, staging, production). */
  readonly environment: string | undefined;
  /** The deployment document's configuration with the scenario's `spec:` overrides applied. */
  readonly spec: DeploymentSpec;
  readonly strategy: StrategySpec | undefined;
  readonly load: LoadProfile | undefined;
  readonly platform: PlatformName;
  /** Wall seconds per spec second; `--time-scale` overrides it. */
  readonly timeScale: number;
  /** The run's seed, when the file names one; `--seed` overrides it. */
  readonly seed?: number;
  /** When the machine running the harness counts as saturated (the defaults unless the file sets `headroom:`). */
  readonly headroom: HeadroomLimits;
  readonly database: boolean;
  /** Version role (stable, candidate, ...) to what runs in it. */
  readonly versions: ReadonlyMap<string, VersionSpec>;
  readonly monitor: MonitorSpec;
  readonly steps: readonly Step[];
  readonly expectations: readonly Expectation[];
  /** The kinds of backup the run takes, as the document configures them (none without `backups:`). */
  readonly backups: readonly BackupKind[];
  /** A pipeline scenario (`pipeline:`): its stages are runs of their own (harness/pipeline/run-pipeline.ts runs them). */
  readonly pipeline?: PipelineSpec;
}

import type { DecisionPolicy, LatencyStatistic, StrategyName, TriggerName } from "../model/strategy.js";
import type { PlatformName } from "../model/platform-name.js";
import type { FaultSettings } from "../model/fault-knobs.js";
import type { FaultSpec } from "../faults/registry.js";
import type { ActionSpec } from "../actions/registry.js";

export type { ActionSpec, FaultSpec };
import type { LoadProfile } from "../load/profile.js";
import type { DeploymentSpec } from "../document/deployment-spec.js";
import type { Comparison, Operator } from "../document/comparison.js";
import type { BackupKind } from "../model/backup-kind.js";
import type { HeadroomLimits } from "../headroom/saturation.js";
import type { RefusalCode } from "../approvals/approvals.js";
import type { PipelineStageStatus } from "../timeline/events.js";
import type { PipelineStage } from "./pipeline-plan.js";

export interface StrategySpec {
  readonly name: StrategyName;
  /** Spec milliseconds between two analyses (scaled, never below the floor). */
  readonly intervalMs: number;
  /** Spec milliseconds of metrics each analysis looks at (scaled, never below the floor). */
  readonly windowMs: number;
  readonly latency: LatencyStatistic;
  /** Fewer requests than this in a window are not judged by metrics. */
  readonly minRequests: number;
  /** How a window's figures meet the thresholds: literal (the document's words) or significant (their 95% intervals). */
  readonly decision: DecisionPolicy;
}


export interface VersionSpec {
  readonly role: string;
  /** Logical image name in the catalog ("app"). */
  readonly image: string;
  /** Version of the reference service ("good-1"). */
  readonly tag: string;
  readonly replicas: number;
  readonly faults: FaultSettings;
}

export interface MonitorSpec {
  /** Spec milliseconds between two polls of each path. */
  readonly intervalMs: number;
  readonly targets: ReadonlyArray<{ readonly version: string; readonly paths: readonly string[] }>;
}

export interface Step {
  readonly name: string;
  readonly fault?: FaultSpec;
  readonly action?: ActionSpec;
  /** Spec milliseconds after the step starts when its fault is injected (`at`); absent: at once. Less than observeMs. */
  readonly faultAtMs?: number;
  /** Spec milliseconds after injection when its fault is undone by itself (`for`); absent: by an undo step or at the end of the run. */
  readonly faultForMs?: number;
  /** Name of an earlier step whose fault this step undoes. */
  readonly undo?: string;
  /** Spec milliseconds to observe after the step's action. */
  readonly observeMs: number;
}

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
  | AtRestExpectation;

/**
 * A Secret of the run as etcd stores it (secrets-management.yml: encryption
 * at rest): written with `provider` (its value starts with
 * `k8s:enc:<provider>:v1:`), and none of its values readable in the stored
 * bytes. kind only: read straight from etcd, not through the API server.
 */
export interface AtRestExpectation {
  readonly id: string;
  readonly description?: string;
  readonly kind: "atRest";
  readonly secret: string;
  readonly provider: "aescbc";
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

/**
 * A pipeline scenario (a file with `pipeline:`): a release promoted through
 * the environments as the document's deploy.yml does for its branch, each
 * stage a run of its own (its environment's overlay and database), with the
 * approval gate before production.
 */
export interface PipelineSpec {
  readonly branch: string;
  /** What people approve (`npm run approve -- <release>`). */
  readonly release: string;
  /** The version of the reference service the release is. */
  readonly version: string;
  /** What production runs before the release (blue-green's stable), when the branch deploys to production. */
  readonly production: string | undefined;
  /** Approvals written in the file, for unattended CI. */
  readonly approvals: readonly ListedApproval[];
  /** Whether the gate also counts approvals recorded in the audit trail (`npm run approve`); default true. */
  readonly trailApprovals: boolean;
  /** The stages the branch's job runs, in order, each with the scenario that deploys and checks it. */
  readonly stages: ReadonlyArray<PipelineStage & { readonly scenario: Scenario }>;
  readonly expectations: readonly PipelineExpectation[];
}

/** An approval listed in the scenario: given `atOffsetMs` (wall) before (negative) or after the deployment starts. */
export interface ListedApproval {
  readonly by: string;
  readonly group: string;
  /** Another release than the pipeline's, to show the gate refusing it. */
  readonly release?: string;
  readonly environment?: string;
  readonly atOffsetMs: number;
  readonly comment?: string;
}

/**
 * What a pipeline run must show. `pipeline`: how it ended, where it stopped,
 * each stage's status, environments it must not have deployed to, whether a
 * rollback happened. `gate`: the approval gate before an environment, granted
 * or refused, and which refusals it gave.
 */
export type PipelineExpectation = PipelineOutcomeExpectation | GateExpectation;

export interface PipelineOutcomeExpectation {
  readonly id: string;
  readonly description?: string;
  readonly kind: "pipeline";
  readonly outcome?: "succeeded" | "failed";
  readonly stoppedAt?: string;
  readonly stages?: Readonly<Record<string, PipelineStageStatus>>;
  /** Environments the pipeline must not have deployed anything to. */
  readonly untouched?: readonly string[];
  readonly rolledBack?: boolean;
}

export interface GateExpectation {
  readonly id: string;
  readonly description?: string;
  readonly kind: "gate";
  readonly environment: string;
  readonly granted: boolean;
  /** Each of these refusals was given (to at least one approval). */
  readonly refusals?: readonly RefusalCode[];
}
