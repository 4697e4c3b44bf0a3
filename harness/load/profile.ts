import { describe, type Reader } from "../common/reader.js";
import { parseThreshold, ThresholdError, type Threshold } from "./thresholds.js";

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
 * Read the `load:` section of a scenario. `r` points at it; problems go to
 * the reader's list with their dotted path (`load.rate must be a number > 0`).
 * Undefined when the section is absent or has mistakes.
 */
export function readLoadProfile(r: Reader, roles: string[]): LoadProfile | undefined {
  if (r.value === undefined) return undefined;
  let ok = knownKeys(r, ["name", "target", "executor", "rate", "timeUnit", "duration", "startRate", "stages", "timeout", "maxRequests", "requests", "thresholds"]);
  if (!r.isObject()) return undefined;
  const name = r.at("name").string({ optional: true, pattern: /^[a-z0-9][a-z0-9-]*$/, patternText: 'a lower-case name like "steady"' });
  ok &&= name !== undefined || !r.has("name");
  const target = readRole(r.at("target"), roles);
  const executor = r.at("executor").oneOf(EXECUTORS);
  const timeUnitMs = r.at("timeUnit").duration({ optional: true, min: 1 });
  const timeoutMs = r.at("timeout").duration({ optional: true, min: 1 });
  const maxRequests = r.at("maxRequests").number({ optional: true, integer: true, min: 1 });
  ok &&= (timeUnitMs !== undefined || !r.has("timeUnit")) && (timeoutMs !== undefined || !r.has("timeout")) && (maxRequests !== undefined || !r.has("maxRequests"));

  let rate: number | undefined;
  let durationMs: number | undefined;
  let startRate: number | undefined;
  let stages: Array<{ target: number; durationMs: number }> | undefined;
  let shapeOk = true;
  const only = (key: string, which: Executor) => {
    if (r.has(key)) {
      r.at(key).problem(`is only for executor ${which}`);
      shapeOk = false;
    }
  };
  if (executor === "constant-arrival-rate") {
    rate = r.at("rate").number({ min: 0, exclusiveMin: true });
    durationMs = r.at("duration").duration({ min: 1 });
    only("startRate", "ramping-arrival-rate");
    only("stages", "ramping-arrival-rate");
    shapeOk &&= rate !== undefined && durationMs !== undefined;
  } else if (executor === "ramping-arrival-rate") {
    startRate = r.at("startRate").number({ optional: true, min: 0 });
    if (startRate === undefined && r.has("startRate")) shapeOk = false;
    startRate ??= 0;
    stages = r.at("stages").list((s) => readStage(s), { nonEmpty: true });
    only("rate", "constant-arrival-rate");
    only("duration", "constant-arrival-rate");
    const raw = r.at("stages").value;
    shapeOk &&= Array.isArray(raw) && raw.length > 0 && stages.length === raw.length;
    if (shapeOk && startRate === 0 && stages.every((s) => s.target === 0)) {
      r.at("stages").problem("never sends a request: every stage's target is 0");
      shapeOk = false;
    }
  }

  const requests = r.at("requests").list((q) => readRequest(q), { nonEmpty: true });
  const rawRequests = r.at("requests").value;
  if (Array.isArray(rawRequests) && rawRequests.length > MAX_REQUEST_KINDS) r.at("requests").problem(`must list at most ${MAX_REQUEST_KINDS} requests`);
  const thresholds = readThresholds(r.at("thresholds"));

  const requestsOk = Array.isArray(rawRequests) && rawRequests.length > 0 && requests.length === rawRequests.length;
  if (!ok || !target || !executor || !shapeOk || !requestsOk || !thresholds) return undefined;
  const profile: LoadProfile = {
    name: name ?? "load",
    target,
    executor,
    timeUnitMs: timeUnitMs ?? DEFAULT_TIME_UNIT_MS,
    requests,
    timeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS,
    thresholds,
  };
  if (rate !== undefined) profile.rate = rate;
  if (durationMs !== undefined) profile.durationMs = durationMs;
  if (startRate !== undefined) profile.startRate = startRate;
  if (stages !== undefined) profile.stages = stages;
  if (maxRequests !== undefined) profile.maxRequests = maxRequests;
  return profile;
}

/** Reader.keys, and whether every key was a known one (an unknown key is a problem, so the section does not read). */
function knownKeys(r: Reader, allowed: readonly string[]): boolean {
  return r.keys(allowed).every((k) => allowed.includes(k));
}

function readRole(r: Reader, roles: string[]): string | undefined {
  if (typeof r.value === "string" && roles.length > 0 && !roles.includes(r.value)) {
    r.problem(`must name a version declared under versions (${roles.join(", ")}), got "${r.value}"`);
    return undefined;
  }
  return r.string();
}

function readStage(r: Reader): { target: number; durationMs: number } | undefined {
  const ok = knownKeys(r, ["target", "duration"]);
  const target = r.at("target").number({ min: 0 });
  const durationMs = r.at("duration").duration({ min: 1 });
  return !ok || target === undefined || durationMs === undefined ? undefined : { target, durationMs };
}

function readRequest(r: Reader): LoadRequest | undefined {
  const ok = knownKeys(r, ["method", "path", "body", "weight"]);
  if (!r.isObject()) return undefined;
  const method = r.at("method").oneOf(METHODS, { optional: true }) ?? (r.has("method") ? undefined : "GET");
  const path = r.at("path").string({ pattern: PATH, patternText: 'a path starting with "/" like "/api/evaluations"' });
  const weight = r.at("weight").number({ optional: true, integer: true, min: 1, max: MAX_WEIGHT }) ?? (r.has("weight") ? undefined : 1);
  const body = r.isObject() ? (r.value as Record<string, unknown>).body : undefined;
  if (body !== undefined && (method === "GET" || method === "HEAD")) {
    r.at("body").problem(`is not sent with ${method}; use POST, PUT or PATCH for a request with a body`);
    return undefined;
  }
  if (!ok || !method || !path || weight === undefined) return undefined;
  return body === undefined ? { method, path, weight } : { method, path, body, weight };
}

/** `thresholds: { metric{tag:value}: ["expr", { threshold: "expr", abortOnFail: true }] }`; undefined when any is wrong. */
function readThresholds(r: Reader): Threshold[] | undefined {
  let ok = true;
  const out: Threshold[] = [];
  r.entries(
    (list, key) => {
      try {
        // Check the key once, so a wrong metric is one problem rather than one per expression.
        parseThreshold(key, "count>=0");
      } catch (e) {
        if (e instanceof ThresholdError && e.part === "metric") {
          list.problem(e.message);
          ok = false;
          return undefined;
        }
      }
      const items = list.list((item) => readThreshold(item, key), { nonEmpty: true });
      const raw = list.value;
      if (!Array.isArray(raw) || raw.length === 0 || items.length !== raw.length) ok = false;
      out.push(...items);
      return items;
    },
    { optional: true },
  );
  if (r.value !== undefined && !r.isObject()) ok = false;
  return ok ? out : undefined;
}

function readThreshold(r: Reader, key: string): Threshold | undefined {
  let expression: Reader;
  let abortOnFail = false;
  if (typeof r.value === "string") expression = r;
  else if (r.isObject()) {
    const ok = knownKeys(r, ["threshold", "abortOnFail"]);
    expression = r.at("threshold");
    const flag = r.at("abortOnFail").boolean({ optional: true });
    if (!ok || (flag === undefined && r.has("abortOnFail"))) {
      expression.string();
      return undefined;
    }
    abortOnFail = flag ?? false;
  } else {
    r.problem(`must be a threshold like "p(95)<500" or { threshold: "p(95)<500", abortOnFail: true }, got ${describe(r.value)}`);
    return undefined;
  }
  const text = expression.string();
  if (text === undefined) return undefined;
  try {
    return parseThreshold(key, text, abortOnFail);
  } catch (e) {
    if (!(e instanceof ThresholdError)) throw e;
    expression.problem(e.message);
    return undefined;
  }
}
