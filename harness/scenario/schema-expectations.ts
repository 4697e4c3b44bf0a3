import { z } from "zod";
import { ALWAYS, asRecord, declaredRole, duration, entries, obj, str, list } from "../common/fields.js";
import { addProblems, validate } from "../common/problems.js";
import type { PlatformName } from "../model/platform-name.js";
import { knownTag, NAME, NAME_TEXT, PATH } from "./schema-versions.js";
import { platformMessage } from "./schema-steps.js";
import { parseDurationMs } from "../common/duration.js";
import { parseComparison, type Comparison } from "../document/comparison.js";
import { BACKUP_KINDS, type BackupKind } from "../model/backup-kind.js";
import type { CountBound, Expectation, PodCount, TimeBound } from "./scenario.js";

/** What expectations are checked against: the scenario around them. */
export interface ExpectationContext {
  readonly roles: readonly string[];
  /** Step names as written. */
  readonly steps: readonly string[];
  readonly platform: PlatformName;
  readonly strategy: boolean;
  /** The strategy's stages (with pre-shift), when there is a strategy. */
  readonly stages: readonly string[];
  readonly load: boolean;
  /** The kinds of backup the scenario takes (`backups:`). */
  readonly backups: readonly BackupKind[];
  /** A step causes a disaster (a fault that loses data) and a later one restores the database. */
  readonly recovery: boolean;
  /** The scenario rotates its secrets (`rotation:`). */
  readonly rotation: boolean;
}

export const EXPECTATION_KINDS = ["probe", "metrics", "rollback", "promoted", "traffic", "thresholds", "requests", "health", "pods", "restarts", "deployment", "restored", "rpo", "rto", "backups", "notified", "atRest", "rotation", "access", "connectivity", "replicas", "budget"] as const;

/** "<=60m", "<5m", "<= 90s": an upper bound on a spec-time duration (RPO, RTO). */
const timeBound = z.unknown().transform((v, ctx): TimeBound => {
  const m = typeof v === "string" ? /^\s*(<=|<)\s*(\S+)\s*$/.exec(v) : null;
  const ms = m ? parseDurationMs(m[2]) : undefined;
  if (!m || ms === undefined) {
    ctx.addIssue({ code: "custom", message: `must be an upper bound on a spec-time duration like "<=60m", "<5m" or "<=90s", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return { op: m[1] as "<" | "<=", ms, text: `${m[1]}${m[2]}` };
});

/** A number of things (backups, restarts): exactly n, or a bound like ">=24". */
const countOf = (things: string, example: string) =>
  z.unknown().transform((v, ctx): CountBound => {
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return { op: "==", value: v, text: String(v) };
    const c = typeof v === "string" ? parseComparison(v) : undefined;
    if (!c || c.unit !== "count" || !Number.isInteger(c.value)) {
      ctx.addIssue({ code: "custom", message: `must be a number of ${things} or a bound like "${example}", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return { op: c.op, value: c.value, text: c.text };
  });
const countBound = countOf("backups", ">=24");

/** A share of requests: "<1%", "<=0.5%". */
const rateBound = z.unknown().transform((v, ctx): Comparison => {
  const c = typeof v === "string" ? parseComparison(v) : undefined;
  if (!c || c.unit !== "ratio" || c.statistic !== undefined) {
    ctx.addIssue({ code: "custom", message: `must be a bound on a share of requests like "<1%" or "<=0.5%", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return c;
});

const status = z.number().int().min(100).max(599);

function stepName(steps: readonly string[]) {
  return str().superRefine((s, ctx) => {
    if (steps.length > 0 && !steps.includes(s)) ctx.addIssue({ code: "custom", message: `must name a step (${steps.join(", ")}), got "${s}"` });
  });
}

/** `within` counts from the start of the `during` step. */
function withinNeedsDuring(v: unknown, ctx: z.RefinementCtx): void {
  const m = asRecord(v);
  if (m?.within !== undefined && m.during === undefined) ctx.addIssue({ code: "custom", path: ["within"], message: "needs during: the step whose start it counts from" });
}

/** An expectation kind this scenario cannot have: the reason, instead of the kind's own checks. */
function refused(message: string) {
  return z.unknown().superRefine((_, ctx) => ctx.addIssue({ code: "custom", message })).optional();
}

const podCount = z.unknown().transform((v, ctx): PodCount => {
  if (v === "all" || v === "none") return v;
  if (typeof v === "number") {
    const r = validate(z.number().int().min(0), v);
    if (r.ok) return r.data;
    addProblems(ctx, r.problems);
  } else ctx.addIssue({ code: "custom", message: `must be all, none or a number of pods, got ${JSON.stringify(v)}` });
  return z.NEVER;
});

function kinds(c: ExpectationContext) {
  const role = declaredRole(c.roles);
  const during = stepName(c.steps).optional();
  const within = duration().optional();
  // Read through the API server: any cluster. Read in the control-plane node (etcd): a kind cluster of the harness's own.
  const kubernetes = (v: unknown, ctx: z.RefinementCtx) => {
    if (c.platform === "docker") ctx.addIssue({ code: "custom", message: platformMessage(["kind", "kubernetes"], c.platform) });
  };
  const kindNode = (v: unknown, ctx: z.RefinementCtx) => {
    if (c.platform !== "kind") ctx.addIssue({ code: "custom", message: platformMessage(["kind"], c.platform) });
  };
  const needsStrategy = "needs a strategy: set strategy: canary or strategy: blue-green";
  const needsRecovery = "needs a disaster recovery: a step with a database-loss or database-truncate fault, a later step with action restore-database, and backups: [database]";
  const rollback = obj({
    trigger: z.enum(["error_rate", "response_time", "health_check_failures"]).optional(),
    stage: str()
      .superRefine((s, ctx) => {
        if (c.stages.length > 0 && !c.stages.includes(s)) ctx.addIssue({ code: "custom", message: `must be a stage of the strategy (${c.stages.join(", ")}), got "${s}"` });
      })
      .optional(),
  });
  return {
    probe: obj({ role, path: str({ re: PATH, text: 'an absolute path like "/ready"' }), status, during, within, failing: str().optional() }).superRefine(withinNeedsDuring, ALWAYS),
    metrics: obj({ role, route: str({ re: PATH, text: 'a route like "/health"' }) }),
    rollback: c.strategy
      ? z.unknown().transform((v, ctx) => {
          if (v === "none") return "none" as const;
          const r = validate(rollback, v);
          if (r.ok) return r.data;
          addProblems(ctx, r.problems);
          return z.NEVER;
        })
      : refused(needsStrategy),
    promoted: c.strategy
      ? z.unknown().superRefine((v, ctx) => {
          if (v !== true) ctx.addIssue({ code: "custom", message: "must be true (use rollback: ... to expect a rollback)" });
        })
      : refused(needsStrategy),
    traffic: c.strategy
      ? entries(z.number().min(0).max(100)).superRefine((shares, ctx) => {
          const values = Object.values(asRecord(shares) ?? {}).filter((n): n is number => typeof n === "number");
          const total = values.reduce((a, b) => a + b, 0);
          if (values.length > 0 && Math.abs(total - 100) > 1e-9) ctx.addIssue({ code: "custom", message: `shares must add up to 100, got ${total}` });
          for (const r of Object.keys(asRecord(shares) ?? {})) {
            if (!c.roles.includes(r)) ctx.addIssue({ code: "custom", path: [r], message: `must name a declared version (${c.roles.join(", ")})` });
          }
        }, ALWAYS)
      : refused(needsStrategy),
    thresholds: c.load ? z.enum(["passed", "failed"]) : refused("needs a load: section whose thresholds it judges"),
    requests: c.load
      ? obj({ during, dropped: countBound.optional(), failed: rateBound.optional(), versions: list(knownTag(), { nonEmpty: true }).optional() }).superRefine((r, ctx) => {
          if (!["dropped", "failed", "versions"].some((k) => asRecord(r)?.[k] !== undefined)) ctx.addIssue({ code: "custom", message: "must say what to check: one or more of dropped, failed, versions" });
        }, ALWAYS)
      : refused("needs a load: section whose requests it judges"),
    health: obj({ role, path: str({ re: PATH, text: 'an absolute path like "/health"' }), status }),
    pods: obj({ role, during, within, ready: podCount.optional(), endpoints: podCount.optional(), restarted: z.boolean().optional(), tag: knownTag().optional() })
      .superRefine(withinNeedsDuring, ALWAYS)
      .superRefine((p, ctx) => {
        if (!["ready", "endpoints", "restarted", "tag"].some((k) => asRecord(p)?.[k] !== undefined)) {
          ctx.addIssue({ code: "custom", message: "must say what to check: one or more of ready, endpoints, restarted, tag" });
        }
      }, ALWAYS)
      .superRefine(kubernetes, ALWAYS),
    restarts: obj({ role, instance: z.number().int().min(0).optional(), during, count: countOf("restarts", ">=3"), waiting: str().optional() }),
    deployment: obj({ role }).superRefine(kubernetes, ALWAYS),
    restored: c.recovery ? obj({ rowsLost: z.number().int().min(0), skipped: z.number().int().min(0).optional() }) : refused(needsRecovery),
    rpo: c.recovery ? timeBound : refused(needsRecovery),
    rto: c.recovery ? timeBound : refused(needsRecovery),
    backups:
      c.backups.length > 0
        ? obj({ kind: z.enum(BACKUP_KINDS).optional(), count: countBound.optional(), encrypted: z.literal(true).optional(), retained: z.literal(true).optional(), before: stepName(c.steps).optional() }).superRefine((b, ctx) => {
            const r = asRecord(b);
            const kind = (r?.kind ?? "database") as BackupKind;
            if (!c.backups.includes(kind)) ctx.addIssue({ code: "custom", path: ["kind"], message: `${kind} backups are not taken: the scenario's backups: lists ${c.backups.join(", ")}` });
            if (r?.before !== undefined && r.count === undefined) ctx.addIssue({ code: "custom", path: ["before"], message: "needs count: it says when the backups are counted" });
            if (r?.count === undefined && r?.encrypted === undefined && r?.retained === undefined) ctx.addIssue({ code: "custom", message: "must say what to check: one or more of count, encrypted, retained" });
          }, ALWAYS)
        : refused("needs backups: the kinds of backup the scenario takes (backups: [database])"),
    // A rollback is what notifies, and only a strategy rolls back.
    notified: c.strategy ? obj({ channel: z.enum(["slack", "email"]), within: duration() }) : refused(needsStrategy),
    atRest: obj({ secret: str({ re: /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, text: 'a Secret\'s name like "database-secret"' }), provider: z.enum(["aescbc"]).optional() }).superRefine(kindNode, ALWAYS),
    rotation: c.rotation ? obj({ completed: countOf("rotations", ">=1") }) : refused("needs rotation: the scenario must rotate its secrets (rotation: true)"),
    access: obj({
      as: z.enum(["service", "harness"]),
      verb: z.enum(["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]),
      resource: str({ re: /^[a-z][a-z0-9.-]*(\/[a-z]+)?$/, text: 'a resource like "secrets" or "pods/log"' }),
      group: str({ re: /^[a-z0-9.-]+$/, text: 'an API group like "apps" (left out: the core group)' }).optional(),
      namespace: str({ re: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, text: 'a namespace like "kube-system"' }).optional(),
      allowed: z.boolean(),
    }).superRefine(kubernetes, ALWAYS),
    replicas: obj({ role, during, above: z.number().int().min(0).optional(), atMost: z.number().int().min(1).optional(), end: z.number().int().min(0).optional() })
      .superRefine((r, ctx) => {
        if (!["above", "atMost", "end"].some((k) => asRecord(r)?.[k] !== undefined)) ctx.addIssue({ code: "custom", message: "must say what to check: one or more of above, atMost, end" });
      }, ALWAYS)
      .superRefine(kubernetes, ALWAYS),
    budget: obj({ role, during, evicted: countOf("evicted pods", ">=1").optional(), refused: countOf("refused evictions", ">=1").optional() }).superRefine(kubernetes, ALWAYS),
    connectivity: obj({
      from: str().superRefine((f, ctx) => {
        if (CONNECTION_SOURCE.test(f) || c.roles.includes(f)) return;
        ctx.addIssue({ code: "custom", message: `must be a role of the scenario (${c.roles.join(", ")}) or <namespace>/<part> with namespace run, monitoring or outside and part pod or load-balancer, like "monitoring/pod", got "${f}"` });
      }),
      to: str().superRefine((t, ctx) => {
        const m = /^([a-z0-9-]+):(\d{1,5})$/.exec(t);
        const parts = [...c.roles, ...CONNECTION_PARTS];
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) ctx.addIssue({ code: "custom", message: `must be <part>:<port> like "stable:9090" or "database:5432", got "${t}"` });
        else if (!parts.includes(m[1]!)) ctx.addIssue({ code: "custom", message: `must name a role of the scenario or a part of the run (${parts.join(", ")}), got "${m[1]}"` });
      }),
      allowed: z.boolean(),
    }).superRefine(kubernetes, ALWAYS),
  };
}

/** Where a connection can be tried from besides a role's own pod: a probe pod in a namespace of the run, plain or labelled as the load balancer. */
const CONNECTION_SOURCE = /^(run|monitoring|outside)\/(pod|load-balancer)$/;
/** What a connection can be tried to besides a role's pod. */
const CONNECTION_PARTS = ["router", "prometheus", "database"] as const;

/** One entry of `expect:`: an id, a description, and exactly one kind. */
function expectationSchema(c: ExpectationContext) {
  const k = kinds(c);
  return obj({
    id: str({ re: NAME, text: NAME_TEXT }).optional(),
    description: str().optional(),
    probe: k.probe.optional(),
    metrics: k.metrics.optional(),
    rollback: k.rollback.optional(),
    promoted: k.promoted.optional(),
    traffic: k.traffic.optional(),
    thresholds: k.thresholds.optional(),
    requests: k.requests.optional(),
    health: k.health.optional(),
    pods: k.pods.optional(),
    restarts: k.restarts.optional(),
    deployment: k.deployment.optional(),
    restored: k.restored.optional(),
    rpo: k.rpo.optional(),
    rto: k.rto.optional(),
    backups: k.backups.optional(),
    notified: k.notified.optional(),
    atRest: k.atRest.optional(),
    rotation: k.rotation.optional(),
    access: k.access.optional(),
    connectivity: k.connectivity.optional(),
    replicas: k.replicas.optional(),
    budget: k.budget.optional(),
  })
    .superRefine((e, ctx) => {
      const given = EXPECTATION_KINDS.filter((kind) => asRecord(e)?.[kind] !== undefined);
      if (given.length !== 1) ctx.addIssue({ code: "custom", message: `must have exactly one of ${EXPECTATION_KINDS.join(", ")}; got ${given.length === 0 ? "none" : given.join(" and ")}` });
    }, ALWAYS)
    .transform((e): Expectation => {
      // An entry without an id gets expectation-<n> from the list.
      const base = { id: e.id ?? "", ...(e.description !== undefined ? { description: e.description } : {}) };
      const opt = <K extends string, V>(key: K, v: V | undefined) => (v === undefined ? {} : ({ [key]: v } as Record<K, V>));
      if (e.probe) {
        const p = e.probe;
        return { ...base, kind: "probe", version: p.role, path: p.path, status: p.status, ...opt("during", p.during), ...opt("withinMs", p.within), ...opt("failing", p.failing) };
      }
      if (e.metrics) return { ...base, kind: "metrics", version: e.metrics.role, route: e.metrics.route };
      if (e.rollback !== undefined) {
        const r = e.rollback as "none" | { trigger?: "error_rate" | "response_time" | "health_check_failures"; stage?: string };
        return r === "none" ? { ...base, kind: "rollback", none: true } : { ...base, kind: "rollback", none: false, ...opt("trigger", r.trigger), ...opt("stage", r.stage) };
      }
      if (e.promoted !== undefined) return { ...base, kind: "promoted" };
      if (e.traffic !== undefined) return { ...base, kind: "traffic", shares: e.traffic as Record<string, number> };
      if (e.thresholds !== undefined) return { ...base, kind: "thresholds", passed: e.thresholds === "passed" };
      if (e.requests) {
        const r = e.requests as { during?: string; dropped?: CountBound; failed?: Comparison; versions?: string[] };
        return { ...base, kind: "requests", ...opt("during", r.during), ...opt("dropped", r.dropped), ...opt("failed", r.failed), ...opt("versions", r.versions) };
      }
      if (e.health) return { ...base, kind: "health", version: e.health.role, path: e.health.path, status: e.health.status };
      if (e.pods) {
        const p = e.pods;
        return {
          ...base,
          kind: "pods",
          version: p.role,
          ...opt("during", p.during),
          ...opt("withinMs", p.within),
          ...opt("ready", p.ready),
          ...opt("endpoints", p.endpoints),
          ...opt("restarted", p.restarted),
          ...opt("tag", p.tag),
        };
      }
      if (e.restarts) {
        const r = e.restarts as { role: string; instance?: number; during?: string; count: CountBound; waiting?: string };
        return { ...base, kind: "restarts", version: r.role, instance: r.instance ?? 0, count: r.count, ...opt("during", r.during), ...opt("waiting", r.waiting) };
      }
      if (e.restored) {
        const r = e.restored as { rowsLost: number; skipped?: number };
        return { ...base, kind: "restored", rowsLost: r.rowsLost, ...opt("skipped", r.skipped) };
      }
      if (e.rpo) return { ...base, kind: "rpo", bound: e.rpo as TimeBound };
      if (e.rto) return { ...base, kind: "rto", bound: e.rto as TimeBound };
      if (e.notified) {
        const n = e.notified as { channel: "slack" | "email"; within: number };
        return { ...base, kind: "notified", channel: n.channel, withinMs: n.within };
      }
      if (e.atRest) return { ...base, kind: "atRest", secret: e.atRest.secret, provider: e.atRest.provider ?? "aescbc" };
      if (e.access) {
        const a = e.access;
        return { ...base, kind: "access", as: a.as, verb: a.verb, resource: a.resource, allowed: a.allowed, ...opt("group", a.group), ...opt("namespace", a.namespace) };
      }
      if (e.replicas) {
        const r = e.replicas;
        return { ...base, kind: "replicas", version: r.role, ...opt("during", r.during), ...opt("above", r.above), ...opt("atMost", r.atMost), ...opt("end", r.end) };
      }
      if (e.budget) {
        const b = e.budget;
        return { ...base, kind: "budget", version: b.role, ...opt("during", b.during), ...opt("evicted", b.evicted), ...opt("refused", b.refused) };
      }
      if (e.connectivity) {
        const c = e.connectivity;
        const [to, port] = c.to.split(":") as [string, string];
        return { ...base, kind: "connectivity", from: c.from, to, port: Number(port), allowed: c.allowed };
      }
      if (e.rotation) return { ...base, kind: "rotation", completed: (e.rotation as { completed: CountBound }).completed };
      if (e.backups) {
        const b = e.backups as { kind?: BackupKind; count?: CountBound; encrypted?: true; retained?: true; before?: string };
        return {
          ...base,
          kind: "backups",
          backupKind: b.kind ?? "database",
          ...opt("count", b.count),
          ...opt("encrypted", b.encrypted),
          ...opt("retained", b.retained),
          ...opt("before", b.before),
        };
      }
      return { ...base, kind: "deployment", version: e.deployment!.role };
    });
}

/** A list of expectations (as written, so even a list with other problems is checked) whose ids must be unique. */
export function uniqueIds(items: unknown, ctx: z.RefinementCtx): void {
  if (!Array.isArray(items)) return;
  const ids = new Set<string>();
  items.forEach((e: unknown, i) => {
    const id = asRecord(e)?.id;
    if (typeof id !== "string" || id === "") return;
    if (ids.has(id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: `repeats the id "${id}": ids must be unique` });
    ids.add(id);
  });
}

/** `expect:`: at least one expectation, ids unique (an entry without one is expectation-<n>). */
export function expectationsSchema(c: ExpectationContext) {
  return list(expectationSchema(c), { nonEmpty: true })
    .superRefine(uniqueIds, ALWAYS)
    .transform((items): Expectation[] => items.map((e, i) => (e.id === "" ? { ...e, id: `expectation-${i + 1}` } : e)));
}
