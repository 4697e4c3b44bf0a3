/**
 * How a load plan becomes what vegeta reads: its targets file (requests
 * interleaved by weight), its rate syntax, segments bounded by the request
 * budget, and a base URL that may only be loopback.
 */
import { HarnessError } from "../common/errors.js";
import type { LoadPlan } from "./load-generator.js";
import type { LoadRequest } from "./profile.js";

/** Only loopback HTTP: the harness never sends load anywhere else. */
export function checkBaseUrl(baseUrl: string): string {
  let url: URL | undefined;
  try {
    url = new URL(baseUrl);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== "http:" || !["127.0.0.1", "localhost"].includes(url.hostname) || url.username || url.password || url.search || url.hash) {
    throw new HarnessError("USAGE", `load can only be sent to http://127.0.0.1:PORT or http://localhost:PORT, got ${JSON.stringify(baseUrl)}`, {
      hint: "aim the load at a service the harness started (its instances' baseUrl)",
    });
  }
  return url.href.replace(/\/$/, "");
}

/** Greatest common divisor, for reducing weights. */
function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The order in which weighted requests are sent: weights reduced by their
 * gcd, then interleaved by smooth weighted round-robin (3:1 gives A A B A),
 * so a short stretch of traffic already has the right mix. vegeta cycles
 * through the list.
 */
export function interleave(weights: readonly number[]): number[] {
  const g = weights.reduce((acc, w) => gcd(acc, w), 0) || 1;
  const reduced = weights.map((w) => w / g);
  const total = reduced.reduce((a, b) => a + b, 0);
  const current = reduced.map(() => 0);
  const order: number[] = [];
  for (let n = 0; n < total; n++) {
    let best = 0;
    for (let i = 0; i < reduced.length; i++) {
      current[i]! += reduced[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    order.push(best);
  }
  return order;
}

/** vegeta's JSON targets: one line per target, weights expressed by repetition. */
export function vegetaTargets(baseUrl: string, requests: readonly LoadRequest[]): string {
  const lines = requests.map((r) => {
    const target: { method: string; url: string; body?: string; header?: Record<string, string[]> } = { method: r.method, url: `${baseUrl}${r.path}` };
    if (r.body !== undefined) {
      const text = typeof r.body === "string" ? r.body : JSON.stringify(r.body);
      target.body = Buffer.from(text).toString("base64");
      target.header = { "Content-Type": [typeof r.body === "string" ? "text/plain" : "application/json"] };
    }
    return JSON.stringify(target);
  });
  return interleave(requests.map((r) => r.weight)).map((i) => lines[i]!).join("\n") + "\n";
}

/** vegeta's -rate: N/1s, or a thousandth-precise fraction as N/1000s. */
export function vegetaRate(perSecond: number): string {
  return Number.isInteger(perSecond) ? `${perSecond}/1s` : `${Math.round(perSecond * 1000)}/1000s`;
}

/** Shorten the plan so it cannot send more than maxRequests; `truncated` when it had to. */
export function boundSegments(segments: LoadPlan["segments"], maxRequests: number): { segments: LoadPlan["segments"]; truncated: boolean } {
  let budget = maxRequests;
  const out: LoadPlan["segments"] = [];
  for (const s of segments) {
    const count = (s.ratePerSecond * s.durationMs) / 1000;
    if (count <= budget) {
      out.push({ ...s });
      budget -= count;
      continue;
    }
    const ms = Math.floor((budget / s.ratePerSecond) * 1000);
    if (ms > 0) out.push({ ratePerSecond: s.ratePerSecond, durationMs: ms });
    return { segments: out, truncated: true };
  }
  return { segments: out, truncated: false };
}
