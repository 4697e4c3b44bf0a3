/**
 * The reference service's fault knobs: the same names as its admin endpoint
 * (/admin/faults) and, for the ones it reads at start, an environment variable.
 */
export interface FaultSettings {
  errorRate?: number;
  latencyMs?: number;
  latencyJitterMs?: number;
  readinessFail?: boolean;
  livenessFail?: boolean;
  crashAfterSeconds?: number;
  /** The next N /health requests answer 500 (run time only). */
  failHealthChecks?: number;
}

export type FaultKnob = keyof FaultSettings;

/** Each knob with its environment variable; undefined: settable at run time only. */
export const FAULT_KNOB_ENV: { readonly [K in FaultKnob]-?: string | undefined } = {
  errorRate: "FAULT_ERROR_RATE",
  latencyMs: "FAULT_LATENCY_MS",
  latencyJitterMs: "FAULT_LATENCY_JITTER_MS",
  readinessFail: "FAULT_READINESS_FAIL",
  livenessFail: "FAULT_LIVENESS_FAIL",
  crashAfterSeconds: "FAULT_CRASH_AFTER_S",
  failHealthChecks: undefined,
};

export const FAULT_KNOBS = Object.keys(FAULT_KNOB_ENV) as readonly FaultKnob[];

/** Fault knobs as the reference service reads them from its environment. */
export function faultEnv(f: FaultSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const knob of FAULT_KNOBS) {
    const name = FAULT_KNOB_ENV[knob];
    if (name !== undefined && f[knob] !== undefined) env[name] = String(f[knob]);
  }
  return env;
}
