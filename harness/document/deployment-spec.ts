import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { HarnessError } from "../common/errors.js";
import { ROOT } from "../common/paths.js";
import { Reader, type Problem } from "../common/reader.js";
import { LATENCY_STATISTICS } from "../model/strategy.js";
import { parseComparison, type Comparison } from "./comparison.js";

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

export const SPEC_FILE = join(ROOT, "fixtures", "spec", "deployment-strategy.yaml");

/** Load the document's configuration, with a scenario's overrides merged over it (both validated, paths in errors). */
export function loadDeploymentSpec(overrides?: { value: unknown; file: string; path: string }, file = SPEC_FILE): DeploymentSpec {
  const base = parse(readFileSync(file, "utf8")) as unknown;
  const problems: Problem[] = [];
  const merged = overrides?.value === undefined ? base : deepMerge(base, overrides.value);
  const spec = readSpec(new Reader(merged, overrides ? overrides.path : "", problems));
  if (problems.length > 0 || !spec) {
    const shown = overrides ? overrides.file : "fixtures/spec/deployment-strategy.yaml";
    throw new HarnessError(overrides ? "SCENARIO_INVALID" : "SPEC_INVALID", problems.map((p) => `${shown}: ${p.path} ${p.message}`).join("\n"), {
      hint: overrides ? "the scenario's spec: block overrides the deployment document's values; fix the values named above" : "fix fixtures/spec/deployment-strategy.yaml",
    });
  }
  return spec;
}

/** Objects merge key by key; lists and scalars from the override replace the base. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(override)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override)) out[k] = k in base ? deepMerge(base[k], v) : v;
    return out;
  }
  return override;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const CPU = /^(\d+(?:\.\d+)?)(m?)$/;
const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const MEMORY_FACTOR: Record<string, number> = { "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

export function parseCpu(text: string): number | undefined {
  const m = CPU.exec(text);
  return m ? (m[2] === "m" ? Number(m[1]) : Number(m[1]) * 1000) : undefined;
}

export function parseMemory(text: string): number | undefined {
  const m = MEMORY.exec(text);
  return m ? Number(m[1]) * MEMORY_FACTOR[m[2] ?? ""]! : undefined;
}

function quantity(r: Reader, parseFn: (t: string) => number | undefined, example: string): Quantity | undefined {
  const text = typeof r.value === "number" ? String(r.value) : r.string();
  if (text === undefined) return undefined;
  const value = parseFn(text);
  if (value === undefined) {
    r.problem(`must be a Kubernetes quantity like "${example}", got ${JSON.stringify(text)}`);
    return undefined;
  }
  return { text, value };
}

function comparison(r: Reader, example: string): Comparison | undefined {
  const text = r.string();
  if (text === undefined) return undefined;
  const c = parseComparison(text);
  if (!c) r.problem(`must be a threshold like "${example}", got ${JSON.stringify(text)}`);
  return c;
}

const RETENTION = /^(\d+)(d|w|y)$/;

function retentionDays(r: Reader): number | undefined {
  const text = r.string();
  const m = text === undefined ? null : RETENTION.exec(text);
  if (text !== undefined && !m) r.problem(`must be a retention like "30d", "12w" or "1y", got ${JSON.stringify(text)}`);
  return m ? Number(m[1]) * (m[2] === "d" ? 1 : m[2] === "w" ? 7 : 365) : undefined;
}

const FREQUENCIES: Record<string, number> = { hourly: 3_600_000, daily: 86_400_000, weekly: 7 * 86_400_000 };

function frequency(r: Reader): Frequency | undefined {
  if (r.value === "on-change") return { every: "on-change" };
  if (typeof r.value === "string" && FREQUENCIES[r.value] !== undefined) return { every: "interval", ms: FREQUENCIES[r.value]!, text: r.value };
  const ms = r.duration();
  return ms === undefined ? undefined : { every: "interval", ms, text: String(r.value) };
}

function seconds(r: Reader): number | undefined {
  const s = r.number({ min: 0 });
  return s === undefined ? undefined : s * 1000;
}

function readSpec(r: Reader): DeploymentSpec | undefined {
  r.keys(["environments", "probes", "blue_green", "canary", "rollback", "backup", "performance", "approvals", "audit"]);
  const environments = new Map(
    r.at("environments").entries((e, name): EnvironmentSpec | undefined => {
      e.keys(["url", "database", "replicas", "resources", "branch", "auto_deploy", "approval_required"]);
      const url = e.at("url").string();
      const database = e.at("database").string();
      const replicas = e.at("replicas").number({ integer: true, min: 1 });
      e.at("resources").keys(["cpu", "memory"]);
      const cpu = quantity(e.at("resources").at("cpu"), parseCpu, "500m");
      const memory = quantity(e.at("resources").at("memory"), parseMemory, "1Gi");
      e.at("branch").string({ optional: true });
      const autoDeploy = e.at("auto_deploy").boolean({ optional: true }) ?? false;
      const approvalRequired = e.at("approval_required").boolean({ optional: true }) ?? false;
      if (!url || !database || replicas === undefined || !cpu || !memory) return undefined;
      return { name, url, database, replicas, cpu, memory, autoDeploy, approvalRequired };
    }),
  );

  r.at("probes").keys(["liveness", "readiness"]);
  const probe = (pr: Reader): ProbeSpec | undefined => {
    pr.keys(["path", "port", "initial_delay"]);
    const path = pr.at("path").string({ pattern: /^\//, patternText: 'a path like "/health"' });
    const port = pr.at("port").number({ integer: true, min: 1, max: 65535 });
    const initialDelayMs = seconds(pr.at("initial_delay"));
    return path && port !== undefined && initialDelayMs !== undefined ? { path, port, initialDelayMs } : undefined;
  };
  const liveness = probe(r.at("probes").at("liveness"));
  const readiness = probe(r.at("probes").at("readiness"));

  const bg = r.at("blue_green");
  bg.keys(["enabled", "health_check_endpoint", "health_check_timeout", "rollback_threshold", "traffic_shift"]);
  const threshold = bg.at("rollback_threshold").number({ min: 0, max: 100 });
  const trafficShift = bg.at("traffic_shift").list(
    (s) => {
      s.keys(["percentage", "duration"]);
      const percentage = s.at("percentage").number({ min: 0, max: 100 });
      const durationMs = seconds(s.at("duration"));
      return percentage === undefined || durationMs === undefined ? undefined : { name: `shift-${percentage}`, percentage, durationMs };
    },
    { nonEmpty: true },
  );
  checkRising(bg.at("traffic_shift"), trafficShift.map((s) => s.percentage));
  const blueGreen = {
    enabled: bg.at("enabled").boolean() ?? true,
    healthCheckPath: bg.at("health_check_endpoint").string({ pattern: /^\//, patternText: 'a path like "/health"' }) ?? "/health",
    healthCheckTimeoutMs: seconds(bg.at("health_check_timeout")) ?? 0,
    // toPrecision(15): the double nearest the percentage written (0.7 / 100 alone is 0.006999999999999999).
    rollbackThreshold: { op: ">", value: Number(((threshold ?? 0) / 100).toPrecision(15)), unit: "ratio", text: `>${threshold ?? 0}%` } as Comparison,
    trafficShift,
  };

  const c = r.at("canary");
  c.keys(["enabled", "stages"]);
  const stages = c.at("stages").list(
    (s) => {
      s.keys(["name", "traffic_percentage", "duration", "success_criteria"]);
      const name = s.at("name").string();
      const percentage = s.at("traffic_percentage").number({ min: 0, max: 100 });
      const durationMs = seconds(s.at("duration"));
      const sc = s.at("success_criteria");
      if (sc.value !== undefined) sc.keys(["error_rate", "response_time"]);
      const errorRate = sc.has("error_rate") ? comparison(sc.at("error_rate"), "<1%") : undefined;
      const responseTime = sc.has("response_time") ? comparison(sc.at("response_time"), "<500ms") : undefined;
      if (errorRate && errorRate.unit !== "ratio") sc.at("error_rate").problem(`must be a percentage like "<1%", got "${errorRate.text}"`);
      if (responseTime && responseTime.unit !== "ms") sc.at("response_time").problem(`must be a time like "<500ms", got "${responseTime.text}"`);
      checkStatistic(sc.at("response_time"), responseTime);
      if (!name || percentage === undefined || durationMs === undefined) return undefined;
      return { name, percentage, durationMs, successCriteria: { ...(errorRate ? { errorRate } : {}), ...(responseTime ? { responseTime } : {}) } };
    },
    { nonEmpty: true },
  );
  checkRising(c.at("stages"), stages.map((s) => s.percentage));
  const canary = { enabled: c.at("enabled").boolean() ?? true, stages };

  const rb = r.at("rollback");
  rb.keys(["triggers", "strategy", "notification"]);
  const t = rb.at("triggers");
  t.keys(["error_rate", "response_time", "health_check_failures"]);
  const rbErrorRate = comparison(t.at("error_rate"), ">5%");
  const rbResponseTime = comparison(t.at("response_time"), ">2s");
  if (rbErrorRate && rbErrorRate.unit !== "ratio") t.at("error_rate").problem(`must be a percentage like ">5%", got "${rbErrorRate.text}"`);
  if (rbResponseTime && rbResponseTime.unit !== "ms") t.at("response_time").problem(`must be a time like ">2s", got "${rbResponseTime.text}"`);
  checkStatistic(t.at("response_time"), rbResponseTime);
  const healthCheckFailures = t.at("health_check_failures").number({ integer: true, min: 1 });
  const strategy = rb.at("strategy").oneOf(["immediate", "gradual"] as const);

  const b = r.at("backup");
  b.keys(["database", "application_data", "configuration"]);
  const backupPart = <K extends string>(part: Reader, flag: K) => {
    part.keys(["frequency", "retention", flag]);
    const f = frequency(part.at("frequency"));
    const days = retentionDays(part.at("retention"));
    const on = part.at(flag).boolean({ optional: true }) ?? false;
    return f && days !== undefined ? ({ frequency: f, retentionDays: days, [flag]: on } as { frequency: Frequency; retentionDays: number } & Record<K, boolean>) : undefined;
  };
  const backupDb = backupPart(b.at("database"), "encryption");
  const backupApp = backupPart(b.at("application_data"), "compression");
  const backupConf = backupPart(b.at("configuration"), "versioned");

  const p = r.at("performance");
  p.keys(["parallel_deployments", "max_concurrent_pods", "readiness_timeout", "resource_limits", "autoscaling"]);
  const a = p.at("autoscaling");
  a.keys(["min_replicas", "max_replicas", "target_cpu", "target_memory"]);
  const minReplicas = a.at("min_replicas").number({ integer: true, min: 1 });
  const maxReplicas = a.at("max_replicas").number({ integer: true, min: 1 });
  if (minReplicas !== undefined && maxReplicas !== undefined && maxReplicas < minReplicas) a.at("max_replicas").problem(`must be at least min_replicas (${minReplicas}), got ${maxReplicas}`);
  const targetCpu = a.at("target_cpu").number({ min: 1, max: 100 });
  const targetMemory = a.at("target_memory").number({ min: 1, max: 100 });
  p.at("resource_limits").keys(["cpu", "memory"]);
  const limCpu = quantity(p.at("resource_limits").at("cpu"), parseCpu, "2000m");
  const limMem = quantity(p.at("resource_limits").at("memory"), parseMemory, "4Gi");
  const maxConcurrentPods = p.at("max_concurrent_pods").number({ integer: true, min: 1 });
  const readinessTimeoutMs = seconds(p.at("readiness_timeout"));

  const approvals = new Map(
    r.at("approvals").entries((ap): ApprovalSpec | undefined => {
      ap.keys(["required", "auto_deploy", "approvers", "minimum_approvals"]);
      const required = ap.at("required").boolean();
      const autoDeploy = ap.at("auto_deploy").boolean({ optional: true });
      const approvers = ap.at("approvers").list((x) => x.string(), { optional: true });
      const minimumApprovals = ap.at("minimum_approvals").number({ optional: true, integer: true, min: 0 }) ?? 0;
      if (required && minimumApprovals > approvers.length && approvers.length > 0) {
        ap.at("minimum_approvals").problem(`is ${minimumApprovals} but only ${approvers.length} approver group(s) are listed`);
      }
      return required === undefined ? undefined : { required, ...(autoDeploy !== undefined ? { autoDeploy } : {}), approvers, minimumApprovals };
    }),
  );
  for (const env of environments.keys()) {
    if (approvals.size > 0 && !approvals.has(env)) r.at("approvals").problem(`has no entry for environment "${env}"`);
  }

  const audit = new Map(
    r.at("audit").entries((au) => {
      const flags: Record<string, boolean> = {};
      for (const k of au.keys(["retention", "encryption", "tamper_proof", "compliance_mapping"])) {
        if (k !== "retention") flags[k] = au.at(k).boolean() ?? false;
      }
      const days = retentionDays(au.at("retention"));
      return days === undefined ? undefined : { retentionDays: days, flags };
    }),
  );

  if (!rbErrorRate || !rbResponseTime || healthCheckFailures === undefined || !strategy || !liveness || !readiness) return undefined;
  if (!backupDb || !backupApp || !backupConf || minReplicas === undefined || maxReplicas === undefined || !limCpu || !limMem) return undefined;
  if (targetCpu === undefined || targetMemory === undefined || maxConcurrentPods === undefined || readinessTimeoutMs === undefined) return undefined;
  return {
    environments,
    probes: { liveness, readiness },
    blueGreen,
    canary,
    rollback: { errorRate: rbErrorRate, responseTime: rbResponseTime, healthCheckFailures, strategy },
    backup: { database: backupDb, applicationData: backupApp, configuration: backupConf },
    performance: {
      parallelDeployments: p.at("parallel_deployments").boolean({ optional: true }) ?? false,
      maxConcurrentPods,
      readinessTimeoutMs,
      resourceLimits: { cpu: limCpu, memory: limMem },
      autoscaling: { minReplicas, maxReplicas, targetCpu, targetMemory },
    },
    approvals,
    audit,
  };
}

/** A response-time threshold may name its statistic ("p99<500ms"); only those the analysis measures. */
function checkStatistic(r: Reader, c: Comparison | undefined): void {
  if (c?.statistic !== undefined && !(LATENCY_STATISTICS as readonly string[]).includes(c.statistic)) {
    r.problem(`names the latency statistic "${c.statistic}", which is not measured; use one of ${LATENCY_STATISTICS.join(", ")} (p95 when none is named)`);
  }
}

/** Traffic shares must rise and end at 100%. */
function checkRising(r: Reader, percentages: number[]): void {
  percentages.forEach((p, i) => {
    if (i > 0 && p <= percentages[i - 1]!) r.at(i).problem(`must send more traffic than the step before (${percentages[i - 1]}%), got ${p}%`);
  });
  if (percentages.length > 0 && percentages[percentages.length - 1] !== 100) r.problem(`must end at 100%, ends at ${percentages[percentages.length - 1]}%`);
}
