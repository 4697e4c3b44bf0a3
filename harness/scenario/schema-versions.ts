import { z } from "zod";
import { ALWAYS, asRecord, declaredRole, duration, entries, list, obj, str } from "../common/fields.js";
import { addProblems, validate } from "../common/problems.js";
import { unknownVersion } from "../images/catalog.js";
import { faultSettingsSchema } from "../faults/set-faults.js";
import { DECISION_POLICIES, LATENCY_STATISTICS, STRATEGIES } from "../model/strategy.js";
import type { MonitorSpec, StrategySpec, VersionSpec } from "./scenario.js";

/** Schemas of a scenario's `versions:`, `monitor:` and `strategy:`. */

export const NAME = /^[a-z0-9][a-z0-9-]*$/;
export const NAME_TEXT = 'a lower-case name like "db-outage"';
export const PATH = /^\/[A-Za-z0-9/_.:-]*$/;
export const TAG = { re: NAME, text: 'a version of the reference service like "good-1"' };

/** A version's fault knobs, set at start: the knobs of set-faults, except failHealthChecks (a count of requests to come). */
const startFaults = faultSettingsSchema.superRefine((f, ctx) => {
  if (asRecord(f)?.failHealthChecks !== undefined) {
    ctx.addIssue({ code: "custom", path: ["failHealthChecks"], message: "can only be set at run time, by a step with fault: { type: set-faults }" });
  }
}, ALWAYS);

/** A tag names a version of fixtures/app/versions.yaml: one that does not is caught here, before anything starts. */
export const knownTag = () =>
  str(TAG).superRefine((t, ctx) => {
    const why = unknownVersion(t);
    if (why) ctx.addIssue({ code: "custom", message: why });
  });

const version = obj({
  image: z.enum(["app"]),
  tag: knownTag(),
  /** Left out: the environment's replicas (0 until the scenario's reader knows them). */
  replicas: z.number().int().min(1).max(10).optional(),
  faults: startFaults.optional(),
});

export const versionsSchema = entries(version)
  .superRefine((v, ctx) => {
    if (asRecord(v) && Object.keys(v).length === 0) ctx.addIssue({ code: "custom", message: "must name at least one version, e.g. stable: { image: app, tag: good-1 }" });
  }, ALWAYS)
  .transform((v) => new Map(Object.entries(v).map(([role, s]): [string, VersionSpec] => [role, { role, image: s.image, tag: s.tag, replicas: s.replicas ?? 0, faults: s.faults ?? {} }])));

export const DEFAULT_MONITOR: MonitorSpec = { intervalMs: 500, targets: [] };

export function monitorSchema(roles: readonly string[]) {
  return obj({
    interval: duration({ min: 10 }).optional(),
    targets: list(obj({ role: declaredRole(roles), paths: list(str({ re: PATH, text: 'an absolute path like "/health"' }), { nonEmpty: true }) }), { nonEmpty: true }),
  }).transform((m): MonitorSpec => ({ intervalMs: m.interval ?? DEFAULT_MONITOR.intervalMs, targets: m.targets.map((t) => ({ version: t.role, paths: t.paths })) }));
}

const STRATEGY_DEFAULTS = { intervalMs: 60_000, windowMs: 60_000, latency: "p95", minRequests: 10, decision: "literal" } as const;

const strategyMapping = obj({
  name: z.enum(STRATEGIES),
  interval: duration({ min: 1 }).optional(),
  window: duration({ min: 1 }).optional(),
  latency: z.enum(LATENCY_STATISTICS).optional(),
  minRequests: z.number().int().min(1).optional(),
  decision: z.enum(DECISION_POLICIES).optional(),
});

/** `strategy: canary`, or `strategy: { name: canary, interval: 60s, ... }` with the analysis spelled out. */
export const strategySchema = z.unknown().transform((v, ctx): StrategySpec => {
  const r = validate(typeof v === "string" ? z.enum(STRATEGIES) : strategyMapping, v);
  if (!r.ok) {
    addProblems(ctx, r.problems);
    return z.NEVER;
  }
  if (typeof r.data === "string") return { name: r.data, ...STRATEGY_DEFAULTS };
  const s = r.data;
  return {
    name: s.name,
    intervalMs: s.interval ?? STRATEGY_DEFAULTS.intervalMs,
    windowMs: s.window ?? STRATEGY_DEFAULTS.windowMs,
    latency: s.latency ?? STRATEGY_DEFAULTS.latency,
    minRequests: s.minRequests ?? STRATEGY_DEFAULTS.minRequests,
    decision: s.decision ?? STRATEGY_DEFAULTS.decision,
  };
});
