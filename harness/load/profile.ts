import { z } from "zod";
import { ALWAYS, asRecord, declaredRole, duration, list, obj, str } from "../common/fields.js";
import { addProblems, validate, type Problem } from "../common/problems.js";
import { describe } from "../common/suggest.js";
import { parseMetricKey, parseThreshold, ThresholdError, type Threshold } from "./thresholds.js";

/**
 * A load phase in k6's vocabulary: an open-model executor (requests arrive
 * at a rate whatever the service does), the requests to send with their
 * weights, and thresholds the phase must meet. Rates are requests per
 * `timeUnitMs`; durations are spec milliseconds (the time scale shortens
 * them, never the rate: the service sees the real load).
 */
export interface LoadProfile {
  name: string;
  /** Version role the load is aimed at (stable, candidate, ...). */
  target: string;
  executor: Executor;
  /** constant-arrival-rate: requests per timeUnit. */
  rate?: number;
  /** Default 1000 (rates per second). */
  timeUnitMs: number;
  /** constant-arrival-rate: spec milliseconds. */
  durationMs?: number;
  /** ramping-arrival-rate: rate at the start of the first stage (default 0). */
  startRate?: number;
  /** ramping-arrival-rate: the rate moves linearly to each stage's target over its duration (spec ms). */
  stages?: Array<{ target: number; durationMs: number }>;
  requests: LoadRequest[];
  /** Per-request timeout, wall milliseconds (default 10000). */
  timeoutMs: number;
  /** Hard cap on requests sent; default plannedRequests * 1.1 + 100. */
  maxRequests?: number;
  thresholds: Threshold[];
}

import { EXECUTORS, type Executor } from "../model/load-events.js";

export { EXECUTORS, type Executor };

export const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"] as const;
export type HttpMethod = (typeof METHODS)[number];

export interface LoadRequest {
  method: HttpMethod;
  /** Path on the target, starting with "/" (a query string is allowed). */
  path: string;
  /** Sent as JSON (a string is sent as it is). */
  body?: unknown;
  /** Relative share of the traffic, an integer >= 1. */
  weight: number;
}

export const DEFAULT_TIME_UNIT_MS = 1000;
export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_WEIGHT = 1000;
const MAX_REQUEST_KINDS = 50;
const PATH = /^\/[^\s#]*$/;
const NAME = /^[a-z0-9][a-z0-9-]*$/;

/** Requests the profile asks for at time scale 1 (the ramp's integral for ramping-arrival-rate). */
export function plannedRequests(profile: LoadProfile): number {
  const perMs = (rate: number) => rate / profile.timeUnitMs;
  if (profile.executor === "constant-arrival-rate") return Math.round(perMs(profile.rate ?? 0) * (profile.durationMs ?? 0));
  let from = profile.startRate ?? 0;
  let total = 0;
  for (const s of profile.stages ?? []) {
    total += ((perMs(from) + perMs(s.target)) / 2) * s.durationMs;
    from = s.target;
  }
  return Math.round(total);
}

/** The hard cap when the profile names none: 10% over the plan, plus 100. */
export function defaultMaxRequests(profile: LoadProfile): number {
  return Math.ceil((plannedRequests(profile) * 11) / 10 + 100);
}

/**
 * The `load:` section's schema. Which of rate, duration, startRate and stages
 * belong depends on the executor, so the schema is made for the section as
 * written (`raw`): fields of the other executor are problems, and with an
 * unknown executor only the executor is.
 */
export function loadProfileSchema(roles: readonly string[], raw: unknown) {
  const executor = asRecord(raw)?.executor;
  const constant = executor === "constant-arrival-rate";
  const ramping = executor === "ramping-arrival-rate";
  const onlyFor = (which: Executor) =>
    z.unknown().superRefine((v, ctx) => {
      if (v !== undefined) ctx.addIssue({ code: "custom", message: `is only for executor ${which}` });
    }).optional();
  const either = <A extends z.ZodType, B extends z.ZodType>(ifConstant: A, ifRamping: B) =>
    constant ? ifConstant : ramping ? ifRamping : z.unknown().optional();
  const startRate = asRecord(raw)?.startRate ?? 0;
  const stages = list(obj({ target: z.number().min(0), duration: duration({ min: 1 }) }), { nonEmpty: true }).superRefine((items, ctx) => {
    if (startRate === 0 && Array.isArray(items) && items.length > 0 && items.every((s) => asRecord(s)?.target === 0)) {
      ctx.addIssue({ code: "custom", message: "never sends a request: every stage's target is 0" });
    }
  }, ALWAYS);
  return obj({
    name: str({ re: NAME, text: 'a lower-case name like "steady"' }).optional(),
    target: declaredRole(roles),
    executor: z.enum(EXECUTORS),
    rate: either(z.number().gt(0), onlyFor("constant-arrival-rate")),
    timeUnit: duration({ min: 1 }).optional(),
    duration: either(duration({ min: 1 }), onlyFor("constant-arrival-rate")),
    startRate: either(onlyFor("ramping-arrival-rate"), z.number().min(0).optional()),
    stages: either(onlyFor("ramping-arrival-rate"), stages),
    timeout: duration({ min: 1 }).optional(),
    maxRequests: z.number().int().min(1).optional(),
    requests: list(request, { nonEmpty: true }).max(MAX_REQUEST_KINDS, { error: `must list at most ${MAX_REQUEST_KINDS} requests` }),
    thresholds: thresholds.optional(),
  }).transform((p): LoadProfile => {
    const profile: LoadProfile = {
      name: p.name ?? "load",
      target: p.target,
      executor: p.executor,
      timeUnitMs: p.timeUnit ?? DEFAULT_TIME_UNIT_MS,
      requests: p.requests,
      timeoutMs: p.timeout ?? DEFAULT_TIMEOUT_MS,
      thresholds: p.thresholds ?? [],
    };
    if (p.executor === "constant-arrival-rate") {
      profile.rate = p.rate as number;
      profile.durationMs = p.duration as number;
    } else {
      profile.startRate = (p.startRate as number | undefined) ?? 0;
      profile.stages = (p.stages as Array<{ target: number; duration: number }>).map((s) => ({ target: s.target, durationMs: s.duration }));
    }
    if (p.maxRequests !== undefined) profile.maxRequests = p.maxRequests;
    return profile;
  });
}

const request = obj({
  method: z.enum(METHODS).optional(),
  path: str({ re: PATH, text: 'a path starting with "/" like "/api/evaluations"' }),
  body: z.unknown().optional(),
  weight: z.number().int().min(1).max(MAX_WEIGHT).optional(),
})
  .superRefine((q, ctx) => {
    const method = asRecord(q)?.method ?? "GET";
    if (asRecord(q)?.body !== undefined && (method === "GET" || method === "HEAD")) {
      ctx.addIssue({ code: "custom", path: ["body"], message: `is not sent with ${method}; use POST, PUT or PATCH for a request with a body` });
    }
  }, ALWAYS)
  .transform((q): LoadRequest => ({ method: q.method ?? "GET", path: q.path, ...(q.body !== undefined ? { body: q.body } : {}), weight: q.weight ?? 1 }));

const thresholdOptions = obj({ threshold: str(), abortOnFail: z.boolean().optional() });

/** `"p(95)<500"` or `{ threshold: "p(95)<500", abortOnFail: true }`; the expression is parsed with its metric, by `thresholds`. */
const thresholdItem = z.unknown().transform((v, ctx) => {
  if (typeof v === "string") return { expression: v, abortOnFail: false, inMapping: false };
  if (asRecord(v)) {
    const r = validate(thresholdOptions, v);
    if (r.ok) return { expression: r.data.threshold, abortOnFail: r.data.abortOnFail ?? false, inMapping: true };
    addProblems(ctx, r.problems);
  } else ctx.addIssue({ code: "custom", message: `must be a threshold like "p(95)<500" or { threshold: "p(95)<500", abortOnFail: true }, got ${describe(v)}` });
  return z.NEVER;
});

/** `thresholds: { metric{tag:value}: [expression, ...] }` -> Threshold[]; a wrong metric is one problem, not one per expression. */
const thresholds = z
  .record(z.string(), list(thresholdItem, { nonEmpty: true }))
  .superRefine((value, ctx) => {
    for (const [key, items] of Object.entries(asRecord(value) ?? {})) {
      try {
        parseMetricKey(key);
      } catch (e) {
        if (!(e instanceof ThresholdError)) throw e;
        ctx.addIssue({ code: "custom", path: [key], message: e.message, params: { at: "key" } });
        continue;
      }
      if (!Array.isArray(items)) continue;
      items.forEach((item: unknown, i) => {
        const t = asRecord(item);
        if (typeof t?.expression !== "string") return;
        try {
          parseThreshold(key, t.expression);
        } catch (e) {
          if (!(e instanceof ThresholdError)) throw e;
          ctx.addIssue({ code: "custom", path: t.inMapping ? [key, i, "threshold"] : [key, i], message: e.message });
        }
      });
    }
  }, ALWAYS)
  .transform((value): Threshold[] => Object.entries(value).flatMap(([key, items]) => items.map((t) => parseThreshold(key, t.expression, t.abortOnFail))));

/**
 * Read a scenario's `load:` section (undefined when there is none): the
 * profile, or every problem with its path from the top of the file (`path`,
 * `["load"]` by default).
 */
export function readLoadProfile(value: unknown, roles: readonly string[], path: ReadonlyArray<string | number> = ["load"]): { profile?: LoadProfile; problems: Problem[] } {
  if (value === undefined) return { problems: [] };
  const r = validate(loadProfileSchema(roles, value), value, path);
  return r.ok ? { profile: r.data, problems: [] } : { problems: r.problems };
}

/** The load's requests per wall second: a constant rate as given, a ramp's average over its stages. */
export function wallRate(load: LoadProfile): number {
  if (load.executor === "constant-arrival-rate") return ((load.rate ?? 0) * 1000) / load.timeUnitMs;
  const durationMs = (load.stages ?? []).reduce((a, s) => a + s.durationMs, 0);
  return durationMs > 0 ? (plannedRequests(load) * 1000) / durationMs : 0;
}
