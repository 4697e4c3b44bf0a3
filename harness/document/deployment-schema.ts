import { z } from "zod";
import { parseDurationMs } from "../common/duration.js";
import { ALWAYS, asRecord, entries, list, obj, str } from "../common/fields.js";
import { describe } from "../common/suggest.js";
import { LATENCY_STATISTICS } from "../model/strategy.js";
import { parseComparison, type Comparison } from "./comparison.js";
import type { ApprovalSpec, DeploymentSpec, EnvironmentSpec, Frequency, Quantity } from "./deployment-types.js";

/**
 * The deployment document (fixtures/spec/deployment-strategy.yaml) as a zod
 * schema: the fields as the document writes them (snake_case, seconds,
 * "30d"), each parsed where it stands, and one transform at the end to the
 * DeploymentSpec the controller, checker and runner read.
 */

const CPU = /^(\d+(?:\.\d+)?)(m?)$/;
const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const MEMORY_FACTOR: Record<string, number> = { "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** A Kubernetes CPU quantity in millicores ("500m" -> 500, "2" -> 2000). */
export function parseCpu(text: string): number | undefined {
  const m = CPU.exec(text);
  return m ? (m[2] === "m" ? Number(m[1]) : Number(m[1]) * 1000) : undefined;
}

/** A Kubernetes memory quantity in bytes ("1Gi", "500M"). */
export function parseMemory(text: string): number | undefined {
  const m = MEMORY.exec(text);
  return m ? Number(m[1]) * MEMORY_FACTOR[m[2] ?? ""]! : undefined;
}

function quantity(parse: (text: string) => number | undefined, example: string) {
  return z.unknown().transform((v, ctx): Quantity => {
    const text = typeof v === "number" ? String(v) : v;
    const value = typeof text === "string" ? parse(text) : undefined;
    if (v === undefined) ctx.addIssue({ code: "custom", message: "is missing: expected a string" });
    else if (typeof text !== "string" || text === "") ctx.addIssue({ code: "custom", message: `must be a non-empty string, got ${describe(v)}` });
    else if (value === undefined) ctx.addIssue({ code: "custom", message: `must be a Kubernetes quantity like "${example}", got ${JSON.stringify(text)}` });
    else return { text, value };
    return z.NEVER;
  });
}

/** A threshold of the document's grammar ("<1%", ">2s", "p99<500ms") in one unit: an error rate (at most 100%) or a time. */
function threshold(unit: "ratio" | "ms", example: string) {
  return str().transform((text, ctx): Comparison => {
    const c = parseComparison(text);
    const fail = (message: string) => ctx.addIssue({ code: "custom", message });
    if (!c) fail(`must be a threshold like "${example}", got ${JSON.stringify(text)}`);
    else if (c.unit !== unit) fail(`must be ${unit === "ratio" ? "a percentage" : "a time"} like "${example}", got "${c.text}"`);
    else if (unit === "ratio" && c.value > 1) fail(`must be a percentage between 0% and 100% (an error rate), got "${c.text}"`);
    else if (c.statistic !== undefined && !(LATENCY_STATISTICS as readonly string[]).includes(c.statistic)) {
      fail(`names the latency statistic "${c.statistic}", which is not measured; use one of ${LATENCY_STATISTICS.join(", ")} (p95 when none is named)`);
    } else return c;
    return z.NEVER;
  });
}

const seconds = z.number().min(0).transform((s) => s * 1000);
const percentage = z.number().min(0).max(100);
const path = str({ re: /^\//, text: 'a path like "/health"' });

/** Days, weeks, years; hours too, for a scenario that runs a scaled day ("6.5h"). */
const RETENTION = /^(\d+(?:\.\d+)?)(h|d|w|y)$/;
const RETENTION_DAYS: Record<string, number> = { h: 1 / 24, d: 1, w: 7, y: 365 };
const retention = str({ re: RETENTION, text: 'a retention like "30d", "12w", "1y" or "6.5h"' }).transform((text) => {
  const m = RETENTION.exec(text)!;
  return Number(m[1]) * RETENTION_DAYS[m[2]!]!;
});

const FREQUENCIES: Record<string, number> = { hourly: 3_600_000, daily: 86_400_000, weekly: 7 * 86_400_000 };
const frequency = z.unknown().transform((v, ctx): Frequency => {
  if (v === "on-change") return { every: "on-change" };
  if (typeof v === "string" && FREQUENCIES[v] !== undefined) return { every: "interval", ms: FREQUENCIES[v], text: v };
  const ms = parseDurationMs(v);
  if (ms !== undefined) return { every: "interval", ms, text: String(v) };
  ctx.addIssue({ code: "custom", message: v === undefined ? 'is missing: expected a duration like "600s"' : `must be a duration like "600s", "5m" or "250ms", got ${describe(v)}` });
  return z.NEVER;
});

/** Traffic shares must rise and end at 100% (checked on what could be read, so it adds to other problems). */
function rising(key: string) {
  return (items: unknown, ctx: z.RefinementCtx) => {
    if (!Array.isArray(items)) return;
    const shares = items.map((i) => asRecord(i)?.[key]);
    shares.forEach((p, i) => {
      const before = shares[i - 1];
      if (i > 0 && typeof p === "number" && typeof before === "number" && p <= before) {
        ctx.addIssue({ code: "custom", path: [i], message: `must send more traffic than the step before (${before}%), got ${p}%` });
      }
    });
    const last = shares[shares.length - 1];
    if (typeof last === "number" && last !== 100) ctx.addIssue({ code: "custom", message: `must end at 100%, ends at ${last}%` });
  };
}

const environment = obj({
  url: str(),
  database: str(),
  replicas: z.number().int().min(1),
  resources: obj({ cpu: quantity(parseCpu, "500m"), memory: quantity(parseMemory, "1Gi") }),
  branch: str().optional(),
  auto_deploy: z.boolean().optional(),
  approval_required: z.boolean().optional(),
});

const probe = obj({ path, port: z.number().int().min(1).max(65535), initial_delay: seconds });

const blueGreen = obj({
  enabled: z.boolean(),
  health_check_endpoint: path,
  health_check_timeout: seconds,
  rollback_threshold: percentage,
  traffic_shift: list(obj({ percentage, duration: seconds }), { nonEmpty: true }).superRefine(rising("percentage"), ALWAYS),
});

const canaryStage = obj({
  name: str(),
  traffic_percentage: percentage,
  duration: seconds,
  success_criteria: obj({ error_rate: threshold("ratio", "<1%").optional(), response_time: threshold("ms", "<500ms").optional() }).optional(),
});

const rollback = obj({
  triggers: obj({ error_rate: threshold("ratio", ">5%"), response_time: threshold("ms", ">2s"), health_check_failures: z.number().int().min(1) }),
  strategy: z.enum(["immediate", "gradual"]),
  // rollback-config.yml: "- slack: '#deployment-alerts'" and "- email: [ops-team@your-org.com]", in a list.
  notification: list(obj({ slack: str({ re: /^#\S+$/, text: 'a Slack channel like "#deployment-alerts"' }).optional(), email: list(str({ re: /^[^@\s]+@[^@\s]+$/, text: "an e-mail address" })).optional() })).optional(),
});

const backupPart = <K extends string>(flag: K) => obj({ frequency, retention, [flag]: z.boolean().optional() } as { frequency: typeof frequency; retention: typeof retention } & Record<K, z.ZodOptional<z.ZodBoolean>>);

const autoscaling = obj({
  min_replicas: z.number().int().min(1),
  max_replicas: z.number().int().min(1),
  target_cpu: z.number().min(1).max(100),
  target_memory: z.number().min(1).max(100),
}).superRefine((a, ctx) => {
  const { min_replicas: min, max_replicas: max } = asRecord(a) ?? {};
  if (typeof min === "number" && typeof max === "number" && max < min) ctx.addIssue({ code: "custom", path: ["max_replicas"], message: `must be at least min_replicas (${min}), got ${max}` });
}, ALWAYS);

const performance = obj({
  parallel_deployments: z.boolean().optional(),
  max_concurrent_pods: z.number().int().min(1),
  readiness_timeout: seconds,
  resource_limits: obj({ cpu: quantity(parseCpu, "2000m"), memory: quantity(parseMemory, "4Gi") }),
  autoscaling,
});

const approval = obj({
  required: z.boolean(),
  auto_deploy: z.boolean().optional(),
  approvers: list(str()).optional(),
  minimum_approvals: z.number().int().min(0).optional(),
}).superRefine((a, ctx) => {
  const { required, approvers, minimum_approvals: min } = asRecord(a) ?? {};
  if (required === true && typeof min === "number" && Array.isArray(approvers) && approvers.length > 0 && min > approvers.length) {
    ctx.addIssue({ code: "custom", path: ["minimum_approvals"], message: `is ${min} but only ${approvers.length} approver group(s) are listed` });
  }
}, ALWAYS);

/** secrets-management.yml: where secrets live, encrypted at rest, rotated every `rotation`, read under RBAC. */
const secrets = obj({
  provider: z.enum(["kubernetes-secrets", "vault", "aws-secrets-manager"]),
  encryption: z.enum(["at-rest"]).optional(),
  rotation: z.unknown().transform((v, ctx): number => {
    const ms = parseDurationMs(v);
    if (ms !== undefined && ms > 0) return ms;
    ctx.addIssue({ code: "custom", message: v === undefined ? 'is missing: expected a duration like "30d"' : `must be a positive duration like "30d" or "12h", got ${describe(v)}` });
    return z.NEVER;
  }),
  access_control: z.enum(["rbac"]).optional(),
});

/** network-policies.yml: peers by name (what k8s/components/network-policies makes of each), with the ports allowed. */
const port = z.number().int().min(1).max(65535);
const peers = list(str({ re: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, text: 'a peer name like "monitoring-namespace"' }), { nonEmpty: true });
const networkPolicies = obj({
  ingress: list(obj({ from: peers, ports: list(port, { nonEmpty: true }) })),
  egress: list(obj({ to: peers, ports: list(port, { nonEmpty: true }) })),
});

const audit = obj({ retention, encryption: z.boolean().optional(), tamper_proof: z.boolean().optional(), compliance_mapping: z.boolean().optional() });

/** The whole document; its output is the DeploymentSpec. */
export const deploymentSchema = obj({
  environments: entries(environment),
  probes: obj({ liveness: probe, readiness: probe }),
  blue_green: blueGreen,
  canary: obj({ enabled: z.boolean(), stages: list(canaryStage, { nonEmpty: true }).superRefine(rising("traffic_percentage"), ALWAYS) }),
  rollback,
  backup: obj({ database: backupPart("encryption"), application_data: backupPart("compression"), configuration: backupPart("versioned") }),
  performance,
  approvals: entries(approval),
  audit: entries(audit),
  secrets,
  network_policies: networkPolicies,
})
  .superRefine((d, ctx) => {
    const envs = Object.keys(asRecord(asRecord(d)?.environments) ?? {});
    const approvals = asRecord(asRecord(d)?.approvals) ?? {};
    if (Object.keys(approvals).length === 0) return;
    for (const env of envs) if (!(env in approvals)) ctx.addIssue({ code: "custom", path: ["approvals"], message: `has no entry for environment "${env}"` });
  }, ALWAYS)
  .transform((d): DeploymentSpec => {
    const bg = d.blue_green;
    const stages = d.canary.stages.map((s) => {
      const sc = s.success_criteria ?? {};
      return {
        name: s.name,
        percentage: s.traffic_percentage,
        durationMs: s.duration,
        successCriteria: { ...(sc.error_rate ? { errorRate: sc.error_rate } : {}), ...(sc.response_time ? { responseTime: sc.response_time } : {}) },
      };
    });
    const b = d.backup;
    const p = d.performance;
    const a = p.autoscaling;
    return {
      environments: new Map(
        Object.entries(d.environments).map(([name, e]): [string, EnvironmentSpec] => [
          name,
          { name, url: e.url, database: e.database, replicas: e.replicas, cpu: e.resources.cpu, memory: e.resources.memory, autoDeploy: e.auto_deploy ?? false, approvalRequired: e.approval_required ?? false },
        ]),
      ),
      probes: {
        liveness: { path: d.probes.liveness.path, port: d.probes.liveness.port, initialDelayMs: d.probes.liveness.initial_delay },
        readiness: { path: d.probes.readiness.path, port: d.probes.readiness.port, initialDelayMs: d.probes.readiness.initial_delay },
      },
      blueGreen: {
        enabled: bg.enabled,
        healthCheckPath: bg.health_check_endpoint,
        healthCheckTimeoutMs: bg.health_check_timeout,
        // The document's "rollback_threshold: 5" is an error rate above 5%, read by the one threshold grammar.
        rollbackThreshold: parseComparison(`>${bg.rollback_threshold}%`)!,
        trafficShift: bg.traffic_shift.map((s) => ({ name: `shift-${s.percentage}`, percentage: s.percentage, durationMs: s.duration })),
      },
      canary: { enabled: d.canary.enabled, stages },
      rollback: {
        errorRate: d.rollback.triggers.error_rate,
        responseTime: d.rollback.triggers.response_time,
        healthCheckFailures: d.rollback.triggers.health_check_failures,
        strategy: d.rollback.strategy,
        notification: {
          slack: (d.rollback.notification ?? []).flatMap((n) => (n.slack ? [n.slack] : [])),
          email: (d.rollback.notification ?? []).flatMap((n) => n.email ?? []),
        },
      },
      backup: {
        database: { frequency: b.database.frequency, retentionDays: b.database.retention, encryption: b.database.encryption ?? false },
        applicationData: { frequency: b.application_data.frequency, retentionDays: b.application_data.retention, compression: b.application_data.compression ?? false },
        configuration: { frequency: b.configuration.frequency, retentionDays: b.configuration.retention, versioned: b.configuration.versioned ?? false },
      },
      performance: {
        parallelDeployments: p.parallel_deployments ?? false,
        maxConcurrentPods: p.max_concurrent_pods,
        readinessTimeoutMs: p.readiness_timeout,
        resourceLimits: { cpu: p.resource_limits.cpu, memory: p.resource_limits.memory },
        autoscaling: { minReplicas: a.min_replicas, maxReplicas: a.max_replicas, targetCpu: a.target_cpu, targetMemory: a.target_memory },
      },
      approvals: new Map(
        Object.entries(d.approvals).map(([env, ap]): [string, ApprovalSpec] => [
          env,
          { required: ap.required, ...(ap.auto_deploy !== undefined ? { autoDeploy: ap.auto_deploy } : {}), approvers: ap.approvers ?? [], minimumApprovals: ap.minimum_approvals ?? 0 },
        ]),
      ),
      audit: new Map(
        Object.entries(d.audit).map(([name, { retention: retentionDays, ...flags }]) => [name, { retentionDays, flags: flags as Record<string, boolean> }]),
      ),
      networkPolicies: {
        ingress: d.network_policies.ingress.map((r) => ({ peers: r.from, ports: r.ports })),
        egress: d.network_policies.egress.map((r) => ({ peers: r.to, ports: r.ports })),
      },
      secrets: {
        provider: d.secrets.provider,
        encryptedAtRest: d.secrets.encryption === "at-rest",
        rotationMs: d.secrets.rotation,
        ...(d.secrets.access_control ? { accessControl: d.secrets.access_control } : {}),
      },
    };
  });
