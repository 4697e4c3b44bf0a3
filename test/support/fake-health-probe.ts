import type { Clock } from "../../harness/common/clock.js";

/** What one health request found: the status, or null and why there was no answer. */
export interface HealthAnswer {
  status: number | null;
  error?: string;
}

/** One probe of a health URL, as the fake saw it. */
export interface HealthCall {
  url: string;
  /** 0 for the first call to this URL. */
  n: number;
  at: number | undefined;
}

/** Per URL, per call (the last entry repeats); a number is a status, null no answer. */
export type HealthScript = ((call: HealthCall) => number | null | HealthAnswer) | readonly (number | null | HealthAnswer)[];

/**
 * A health endpoint without a network: answers from a script (the same one
 * for every URL, counted per URL) and records every call. `probe` has the
 * shape the controller's `healthProbe` option takes.
 */
export class FakeHealthProbe {
  readonly calls: HealthCall[] = [];

  constructor(
    private readonly script: HealthScript = [200],
    private readonly clock?: Clock,
  ) {}

  readonly probe = async (url: string): Promise<HealthAnswer> => {
    const call: HealthCall = { url, n: this.calls.filter((c) => c.url === url).length, at: this.clock?.now() };
    this.calls.push(call);
    // A null entry is a scripted "no answer", so no `??` default here.
    const answer = typeof this.script === "function" ? this.script(call) : this.script.length === 0 ? 200 : (this.script[Math.min(call.n, this.script.length - 1)] as number | null | HealthAnswer);
    if (answer === null) return { status: null, error: "ECONNREFUSED" };
    return typeof answer === "number" ? { status: answer } : answer;
  };
}
