import type { TimeScale } from "../common/clock.js";
import { defaultMaxRequests, type LoadProfile, type LoadRequest } from "./profile.js";

/** What a generator sends: wall-time segments of constant rate, the weighted requests, and hard bounds. */
export interface LoadPlan {
  /** http://127.0.0.1:PORT or http://localhost:PORT; the requests' paths are appended. */
  baseUrl: string;
  /** Run back to back; a segment of rate 0 sends nothing for its duration. */
  segments: Array<{ ratePerSecond: number; /** wall */ durationMs: number }>;
  requests: LoadRequest[];
  /** Per-request timeout, wall milliseconds. */
  timeoutMs: number;
  /** Hard cap on requests sent. */
  maxRequests: number;
}

/** One request as the generator saw it. */
export interface RequestResult {
  /** Epoch milliseconds when it was sent. */
  at: number;
  latencyMs: number;
  /** HTTP status; 0 on a transport error (refused, reset, timeout). */
  code: number;
  error?: string;
  /** The answer's X-App-Version header. */
  version?: string;
  /** Milliseconds the service itself spent on it (its Server-Timing `app;dur=`), when it says. */
  serverMs?: number;
  /** A POST answered 2xx with a JSON body holding an `id`: the row it created (disaster recovery's acknowledged writes). */
  created?: string;
}

export interface LoadRunEnd {
  /** Requests whose result was reported. */
  sent: number;
  stoppedBy: "completed" | "max-requests" | "aborted" | "deadline";
}

/**
 * Sends a plan's load. `onResult` is called once per request, in the order
 * the requests were sent (so a consumer knows that once a result sent at t
 * arrives, everything sent before t has arrived). `run` settles only when
 * everything it started has stopped; it resolves with "aborted" when
 * `signal` aborts, and never outlives the plan's duration plus the request
 * timeout plus a few seconds.
 */
export interface LoadGenerator {
  readonly name: string;
  run(plan: LoadPlan, onResult: (r: RequestResult) => void, signal: AbortSignal): Promise<LoadRunEnd>;
}

/** Ramp segments are never shorter than this, so a fast time scale does not start a process every few milliseconds. */
export const MIN_RAMP_SEGMENT_MS = 100;

/**
 * Turn a profile into wall-time segments. Rates are not scaled (the service
 * sees the real load); durations are (`--time-scale 0.1` makes 30 s of spec
 * time 3 s of wall time).
 *
 * A ramping stage is approximated by constant segments: at most 1 s of wall
 * time each or 10 per stage, whichever gives more segments (and none
 * shorter than MIN_RAMP_SEGMENT_MS). Each segment runs at the ramp's rate in
 * its middle, which is its mean rate, so the number of requests matches the
 * linear ramp's. Adjacent segments of the same rate are merged.
 */
export function planFor(profile: LoadProfile, baseUrl: string, scale: TimeScale): LoadPlan {
  const perSecond = (rate: number) => (rate * 1000) / profile.timeUnitMs;
  const segments: LoadPlan["segments"] = [];
  const push = (ratePerSecond: number, durationMs: number) => {
    if (durationMs <= 0) return;
    const last = segments[segments.length - 1];
    if (last && last.ratePerSecond === ratePerSecond) last.durationMs += durationMs;
    else segments.push({ ratePerSecond, durationMs });
  };
  if (profile.executor === "constant-arrival-rate") {
    push(perSecond(profile.rate ?? 0), Math.round(scale.toWallMs(profile.durationMs ?? 0)));
  } else {
    let from = profile.startRate ?? 0;
    for (const stage of profile.stages ?? []) {
      const wallMs = Math.round(scale.toWallMs(stage.durationMs));
      if (stage.target === from) push(perSecond(from), wallMs);
      else {
        const pieces = Math.max(1, Math.min(Math.max(10, Math.ceil(wallMs / 1000)), Math.floor(wallMs / MIN_RAMP_SEGMENT_MS)));
        let prevEnd = 0;
        for (let k = 0; k < pieces; k++) {
          const end = Math.round((wallMs * (k + 1)) / pieces);
          const mid = from + ((stage.target - from) * (k + 0.5)) / pieces;
          push(roundRate(perSecond(mid)), end - prevEnd);
          prevEnd = end;
        }
      }
      from = stage.target;
    }
  }
  return {
    baseUrl,
    segments,
    requests: profile.requests.map((r) => ({ ...r })),
    timeoutMs: profile.timeoutMs,
    maxRequests: profile.maxRequests ?? defaultMaxRequests(profile),
  };
}

/** Requests a plan sends if nothing stops it early (capped at maxRequests). */
export function plannedCount(plan: LoadPlan): number {
  const total = plan.segments.reduce((sum, s) => sum + (s.ratePerSecond * s.durationMs) / 1000, 0);
  return Math.min(plan.maxRequests, Math.round(total));
}

/** Wall milliseconds of all segments. */
export function plannedWallMs(plan: LoadPlan): number {
  return plan.segments.reduce((sum, s) => sum + s.durationMs, 0);
}

/** Rates to a thousandth of a request per second, which is what the generator can express. */
function roundRate(rate: number): number {
  return Math.round(rate * 1000) / 1000;
}
