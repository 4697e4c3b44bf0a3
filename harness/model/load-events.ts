/** The load phase's vocabulary: executors, per-second statistics and the events a load phase puts on the timeline. */

export const EXECUTORS = ["constant-arrival-rate", "ramping-arrival-rate"] as const;
export type Executor = (typeof EXECUTORS)[number];

export interface SecondStats {
  requests: number;
  failed: number;
  codes: Record<string, number>;
  /** Transport errors (no HTTP status) by their text, where the second had any. */
  errors?: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}


/** Why a load phase ended: the generator's reasons, and "threshold" when an abortOnFail threshold failed. */
export type LoadStoppedBy = "completed" | "max-requests" | "aborted" | "deadline" | "threshold";

export interface LoadThresholdOutcome {
  /** Metric key as written, tag filter included: `http_req_duration{version:good-1}`. */
  metric: string;
  expression: string;
  observed: number;
  pass: boolean;
  abortOnFail: boolean;
}

/**
 * Timeline events of a load phase. They join TimelineEvent in
 * harness/timeline/events.ts; until then runLoad emits this union.
 */
export type LoadEvent =
  | { type: "load.started"; phase: string; target: string; executor: Executor; plannedRequests: number }
  | ({
      type: "load.second";
      phase: string;
      /** Whole wall seconds since the first request was sent. */
      second: number;
      /** A version name, "*" for all versions together, "(none)" for answers without X-App-Version. */
      version: string;
      /** "*" only: requests the plan asked for in this second, and the latest send against its schedule (ms). */
      asked?: number;
      lagMs?: number;
    } & SecondStats)
  | {
      type: "load.finished";
      phase: string;
      requests: number;
      failed: number;
      /** Requests per second from the first request sent to the end. */
      achievedRate: number;
      stoppedBy: LoadStoppedBy;
      thresholds: LoadThresholdOutcome[];
    };

export type LoadEventOf<T extends LoadEvent["type"]> = Extract<LoadEvent, { type: T }>;
