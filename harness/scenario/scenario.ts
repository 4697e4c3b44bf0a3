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
  /** The kind cluster's shape (kind): worker nodes beside the control plane; 0 is one node that is both. */
  readonly cluster: { readonly workers: number };
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
  /**
   * secrets-management.yml's rotation (kind): the database password and the
   * cluster's encryption key rotated each time the secrets reach the
   * document's age (30d, scaled), at most `times` times (undefined: as many
   * as fall due while the steps run). Absent: no rotation.
   */
  readonly rotation?: { readonly times?: number };
  /** A pipeline scenario (`pipeline:`): its stages are runs of their own (harness/pipeline/run-pipeline.ts runs them). */
  readonly pipeline?: PipelineSpec;
}

import type { DecisionPolicy, LatencyStatistic, StrategyName } from "../model/strategy.js";
import type { PlatformName } from "../model/platform-name.js";
import type { FaultSettings } from "../model/fault-knobs.js";
import type { FaultSpec } from "../faults/registry.js";
import type { ActionSpec } from "../actions/registry.js";

export type { ActionSpec, FaultSpec };
import type { LoadProfile } from "../load/profile.js";
import type { DeploymentSpec } from "../document/deployment-spec.js";
import type { BackupKind } from "../model/backup-kind.js";
import type { HeadroomLimits } from "../headroom/saturation.js";
import type { RefusalCode } from "../approvals/approvals.js";
import type { PipelineStageStatus } from "../timeline/events.js";
import type { PipelineStage } from "./pipeline-plan.js";
import type { Expectation } from "./expectation-types.js";

export type * from "./expectation-types.js";

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
  /** The file leaves the replicas to the environment, and so to its autoscaler where the overlay has one (kind). */
  readonly replicasFromEnvironment?: true;
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
