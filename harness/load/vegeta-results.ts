import type { RequestResult } from "./load-generator.js";

/**
 * Reading vegeta's results (`vegeta encode --to json`, a line each): the
 * send time to the sub-millisecond, the answer's X-App-Version and
 * Server-Timing, and the id of a row a POST created.
 */

/** One line of `vegeta encode --to json`. */
export interface VegetaResult {
  seq: number;
  code: number;
  timestamp: string;
  /** Nanoseconds. */
  latency: number;
  error: string;
  headers: Record<string, string[]> | null;
  method?: string;
  /** The answer's body, base64. */
  body?: string;
}

/** Epoch milliseconds, sub-millisecond digits kept (vegeta writes nanoseconds). */
function epochMs(timestamp: string): number {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(timestamp);
  if (!m) return Date.parse(timestamp);
  return Date.parse(`${m[1]}${m[3]}`) + (m[2] ? Number(m[2]) * 1000 : 0);
}

/** One of vegeta's results as the harness reads it: send time, latency, code, version, server time, created row. */
export function toResult(o: VegetaResult): RequestResult {
  const r: RequestResult = { at: epochMs(o.timestamp), latencyMs: o.latency / 1e6, code: o.code };
  // Go's client names the request first (`Post "http://…/api/evaluations": EOF`); the cause is what differs.
  if (o.code === 0 && o.error) r.error = o.error.replace(/^[A-Z][a-zA-Z]* "[^"]*": /, "");
  const headers = o.headers ?? {};
  const version = headers["X-App-Version"] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === "x-app-version")?.[1];
  if (version?.[0] !== undefined) r.version = version[0];
  const timing = (headers["Server-Timing"] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === "server-timing")?.[1])?.[0];
  const dur = timing ? /(?:^|,)\s*app;dur=([\d.]+)/.exec(timing)?.[1] : undefined;
  if (dur !== undefined) r.serverMs = Number(dur);
  const created = o.method === "POST" && o.code >= 200 && o.code < 300 && o.body ? createdId(o.body) : undefined;
  if (created !== undefined) r.created = created;
  return r;
}

/** The `id` of the JSON object a POST answered with (the row it created), as text. */
export function createdId(base64: string): string | undefined {
  try {
    const id = (JSON.parse(Buffer.from(base64, "base64").toString("utf8")) as { id?: unknown }).id;
    return typeof id === "string" || typeof id === "number" ? String(id) : undefined;
  } catch {
    return undefined;
  }
}
