/**
 * The timeline is the spine of a run: every part writes typed events to it;
 * progress output, events.jsonl and the checker read them.
 */
import type { BackupKind } from "../model/backup-kind.js";
import type { LoadEvent } from "../model/load-events.js";
import type { DeploymentSummary, PodsObservation } from "../model/kubernetes.js";

export type ResourceKind = "container" | "network" | "namespace" | "deployment" | "statefulset" | "cluster";

export type TimelineEvent =
  | LoadEvent
  | { type: "run.started"; runId: string; scenario: string; platform: string; timeScale: number; seed?: number; runDir: string }
  | { type: "run.finished"; verdict: Verdict; exitCode: number; wallSeconds: number }
  | { type: "step.started"; step: string; kind: string; specSeconds?: number; wallSeconds?: number }
  | { type: "step.finished"; step: string; kind: string; wallSeconds: number }
  | { type: "image.ready"; image: string; ref: string; source: ImageSource; seconds: number }
  | { type: "image.building"; image: string; reason: string }
  | { type: "resource.started"; kind: ResourceKind; role: string; name: string; id: string; seconds?: number }
  | { type: "resource.removed"; kind: ResourceKind; role: string; name: string }
  /** The PostgreSQL server answers, with the database the services use (an environment's own: agi_eval_dev, ...). */
  | { type: "database.ready"; database: string; server: string }
  /** A pipeline run (harness/pipeline): the stages the branch's job deploys to, in order. */
  | { type: "pipeline.started"; branch: string; release: string; version: string; stages: Array<{ environment: string; check: string; gate: boolean }> }
  | { type: "pipeline.stage.started"; environment: string; check: string; database: string }
  /** The approval gate before a stage, as approval-matrix.yml has it: what counted, what did not and why. */
  | { type: "pipeline.gate"; environment: string; release: string; granted: boolean; reason: string; counted: Array<{ by: string; group: string; at: string; source: string }>; refused: Array<{ by: string; group: string; at: string; source: string; code: string; reason: string }> }
  | { type: "pipeline.stage.finished"; environment: string; status: PipelineStageStatus; reason: string; runId?: string; runDir?: string }
  | { type: "pipeline.promoted"; release: string; version: string; to: string }
  | { type: "pipeline.finished"; outcome: "succeeded" | "failed" | "interrupted"; stoppedAt?: string; reason: string }
  | { type: "cluster.ready"; name: string; created: boolean; seconds: number; nodes?: number; external?: boolean }
  /** A drain (node-drain) evicted a pod from its node, after `refusals` evictions a PodDisruptionBudget refused, `seconds` after the drain first tried. */
  | { type: "node.eviction"; node: string; pod: string; refusals: number; seconds: number }
  /** Who the harness is in a run's namespace: its own ServiceAccount, bound to a Role with only the verbs it uses (as the API server reports it). */
  | { type: "kubernetes.identity"; namespace: string; user: string; role: string; rules: number }
  /** A part of the cluster itself runs (kind, kube-system): the NetworkPolicy agent (kube-network-policies) or metrics-server, installed or found. */
  | { type: "kubernetes.addon"; name: string; image: string; seconds: number }
  /** The run's NetworkPolicies are applied in its namespace, with the addresses outside the cluster they let the pods reach (its databases). */
  | { type: "kubernetes.network-policy"; namespace: string; policies: string[]; databaseAddresses: string[] }
  | { type: "deployment.observed"; role: string; source: string; deployment: DeploymentSummary }
  | { type: "pods.observed"; role: string; endpoints: number; pods: PodsObservation["pods"]; autoscaler?: PodsObservation["autoscaler"]; budget?: PodsObservation["budget"] }
  | { type: "action.performed"; action: string; target: string; detail: string }
  | { type: "probe.observed"; target: string; path: string; status: number | null; ms: number; error?: string; body?: unknown }
  | { type: "fault.injected"; fault: string; target: string; detail: string }
  | { type: "fault.undone"; fault: string; target: string; atTeardown?: true; detail?: string }
  /** The platform restarted an instance (its restart policy, the kubelet): its own restart count, and why it waits, where it says ("CrashLoopBackOff"). */
  | { type: "instance.restarted"; role: string; instance: number; name: string; restarts: number; by: string; waiting?: string }
  /** What the operator of a live game day did from its page: a fault injected or undone by hand (id), a mark, the abort. */
  | { type: "operator.acted"; action: "inject" | "undo" | "mark" | "abort"; id?: string; detail: string }
  | { type: "expectation.judged"; id: string; description: string; held: boolean; evidence: string; inconclusive?: string }
  | { type: "note"; level: "info" | "warn"; message: string }
  /** The run's share of the machine: its estimated cost, how long it waited for it, whether it fit, and the runs beside it. */
  | { type: "budget.admitted"; cores: number; detail: string; machineCores: number; waitedSeconds: number; fit: boolean; beside: string[] }
  /** The machine's headroom: host CPU busy and the engine's share (0-1, all cores), the harness's event-loop delay (p99, max). */
  | { type: "host.sampled"; cpu: number | null; engineCpu: number | null; ioStall?: number | null; memoryStall?: number | null; loopDelayMs: number; loopMaxMs: number; cores: number }
  | {
      type: "strategy.started";
      strategy: string;
      /** Each stage with its success criteria as the document writes them ("<1%", "<500ms"). */
      stages: Array<{ name: string; percentage: number; specSeconds: number; wallSeconds: number; criteria?: { errorRate?: string; responseTime?: string } }>;
      /** The rollback triggers the strategy runs under (">5%", ">2s"). */
      triggers?: { errorRate: string; responseTime: string; healthCheckFailures: number };
      intervalSeconds: number;
      windowSeconds: number;
      rollbackStrategy: string;
    }
  | { type: "stage.started"; stage: string; percentage: number }
  | {
      type: "analysis.evaluated";
      stage: string;
      version: string;
      requests: number;
      errorRate: number | null;
      latencyMs: number | null;
      statistic: string;
      healthFailures: number;
      windowSeconds: number;
      /** The window's verdict under the run's decision policy (absent in runs before it was recorded). */
      verdict?: "breach" | "pass" | "undecided" | "unjudged" | "saturated";
      /** Why an undecided or unjudged window was so. */
      why?: string;
      /** 95% intervals: the error rate's (Wilson) and the latency statistic's (order statistics through the histogram). */
      errorRateInterval?: number[];
      latencyInterval?: number[];
    }
  | { type: "stage.extended"; stage: string; reason: string; extraSeconds: number; requestsNeeded?: number }
  | { type: "stage.inconclusive"; stage: string; reason: string }
  | { type: "health.checked"; target: string; path: string; status: number | null; consecutiveFailures: number; error?: string }
  | {
      type: "rollback.decided";
      stage: string;
      strategy: string;
      trigger: string;
      source: string;
      reason: string;
      observed: number;
      threshold: string;
    }
  | { type: "rollback.step"; candidatePercentage: number }
  /** A rollback's alert, raised in Alertmanager (rollback-config.yml's notification). */
  | { type: "notification.sent"; alertname: string; environment: string; reason: string; targets: string[] }
  /** A receiver got it: the Slack webhook, or the mailbox in Mailpit; `afterSeconds` wall seconds after the alert was raised. */
  | { type: "notification.received"; channel: "slack" | "email"; to: string; text: string; afterSeconds: number }
  | { type: "rollback.completed"; stage: string; trigger: string; seconds: number }
  | { type: "strategy.finished"; result: "promoted" | "rolled-back" | "inconclusive" }
  | { type: "router.observed"; shares: Record<string, number> }
  | { type: "analysis.failed"; stage: string; version: string; error: string; consecutiveErrors: number; limit: number }
  | {
      type: "backup.taken";
      id: string;
      kind: BackupKind;
      bytes: number;
      sha256: string;
      /** Wall seconds the backup took. */
      seconds: number;
      /** Spec seconds since the run started when the backup began: its point in time. */
      takenAtSpecSeconds: number;
      /** A configuration backup: what it holds and its version. */
      subject?: string;
      version?: number;
    }
  | { type: "backup.failed"; kind: BackupKind; error: string }
  | { type: "backup.pruned"; id: string; kind: BackupKind; ageSpecSeconds: number; retentionSpecSeconds: number }
  | { type: "backup.skipped"; id: string; kind: BackupKind; reason: string }
  | { type: "backup.restored"; id: string; kind: BackupKind; bytes: number; seconds: number; takenAtSpecSeconds: number }
  /** A disaster recovery drill: the disaster, then each part of the recovery as it completes, in wall seconds since the disaster. */
  | { type: "recovery.phase"; phase: RecoveryPhase; sinceDisasterSeconds: number; detail: string }
  /** secrets-management.yml's rotation (harness/secrets): each rotation, its parts with their evidence, and how it ended. */
  | { type: "secret.rotation.started"; n: number; everySpecSeconds: number }
  | {
      type: "secret.password.changed";
      n: number;
      /** Connecting with the old password: refused with SQLSTATE 28P01, or not. */
      oldPassword: { refused: boolean; code?: string; message: string };
      services: string;
      /** Every pod running after the restart: wall seconds after the change at which its first session began (none: not seen). */
      pods: Array<{ pod: string; role: string; sessionAfterSeconds?: number }>;
      /** Service sessions from before the change still open when the harness stopped looking. */
      oldSessions: number;
    }
  | { type: "secret.key.rotated"; n: number; from: string[]; to: string; loadedAfterSeconds: number; rewritten: number }
  | { type: "secret.rotation.finished"; n: number; seconds: number }
  | { type: "secret.rotation.failed"; n: number; error: string }
  /** The table read to judge a restore: before the disaster, and right after the restore. */
  | { type: "rows.read"; when: "before-disaster" | "restored"; table: string; rows: number };

export type RecoveryPhase = "disaster" | "detected" | "database-started" | "restored" | "service-pointed" | "service-ready" | "first-write";

export type Verdict = "passed" | "failed" | "inconclusive" | "error" | "interrupted";
export type ImageSource = "upstream" | "cached" | "built";

/** An event as stored: with wall time since the run started and the matching spec time. */
export type Stamped<E extends TimelineEvent = TimelineEvent> = E & { at: string; t: number; specT: number };

/** How a pipeline stage ended: its checks passed or failed, its gate refused it, or it never ran (skipped after an earlier stop). */
export type PipelineStageStatus = "passed" | "failed" | "inconclusive" | "refused" | "error" | "skipped";

export type EventOf<T extends TimelineEvent["type"]> = Extract<TimelineEvent, { type: T }>;

export type Sink = (event: TimelineEvent) => void;
