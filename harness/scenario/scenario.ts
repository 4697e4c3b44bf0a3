/** A scenario as the harness runs it: read from scenarios/<name>.yaml and validated. */
export interface Scenario {
  /** The file it was read from, relative to the project when inside it. */
  readonly file: string;
  readonly name: string;
  readonly description: string;
  readonly platform: PlatformName;
  /** Wall seconds per spec second; `--time-scale` overrides it. */
  readonly timeScale: number;
  readonly database: boolean;
  /** Version role (stable, candidate, ...) to what runs in it. */
  readonly versions: ReadonlyMap<string, VersionSpec>;
  readonly monitor: MonitorSpec;
  readonly steps: readonly Step[];
  readonly expectations: readonly Expectation[];
}

export const PLATFORMS = ["docker"] as const;
export type PlatformName = (typeof PLATFORMS)[number];

export interface FaultSettings {
  errorRate?: number;
  latencyMs?: number;
  latencyJitterMs?: number;
  readinessFail?: boolean;
  livenessFail?: boolean;
  crashAfterSeconds?: number;
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

export const FAULT_TYPES = ["database-pause", "database-stop", "set-faults"] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

export type FaultSpec =
  | { readonly type: "database-pause" | "database-stop" }
  | { readonly type: "set-faults"; readonly version: string; readonly settings: FaultSettings };

export interface Step {
  readonly name: string;
  readonly fault?: FaultSpec;
  /** Name of an earlier step whose fault this step undoes. */
  readonly undo?: string;
  /** Spec milliseconds to observe after the step's action. */
  readonly observeMs: number;
}

export type Expectation = ProbeExpectation | MetricsExpectation;

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
