/** One HTTP GET from the harness, never throwing: a failed request is an observation too. */
export interface Observation {
  status: number | null;
  ms: number;
  error?: string;
  body?: unknown;
  text?: string;
}

export async function httpGet(url: string, options: { timeoutMs?: number; keepText?: boolean } = {}): Promise<Observation> {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 2000) });
    const text = await res.text();
    const ms = performance.now() - started;
    const obs: Observation = { status: res.status, ms };
    if (options.keepText) obs.text = text;
    if ((res.headers.get("content-type") ?? "").includes("json") && text.length <= 2048) {
      try {
        obs.body = JSON.parse(text);
      } catch {
        /* a body that is not JSON stays out of the evidence */
      }
    }
    return obs;
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const error = err.name === "TimeoutError" ? "timeout" : (err.cause?.code ?? err.message);
    return { status: null, ms: performance.now() - started, error };
  }
}
