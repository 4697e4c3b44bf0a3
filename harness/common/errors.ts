/** Exit codes a run ends with; CI keys on them. */
export const ExitCode = {
  held: 0,
  expectationFailed: 1,
  badInputOrEnvironment: 2,
  /** No expectation failed, but some could not be judged: the machine running the harness was saturated (`--inconclusive=fail` makes it 1). */
  inconclusive: 3,
  /** A bug in the harness itself (EX_SOFTWARE): not the system under test, not the input. */
  internal: 70,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable error codes. Each has a row in the README's troubleshooting table. */
export type ErrorCode =
  | "SCENARIO_NOT_FOUND"
  | "SCENARIO_INVALID"
  | "SPEC_INVALID"
  | "ENGINE_UNAVAILABLE"
  | "IMAGE_BUILD_FAILED"
  | "TOOL_MISSING"
  | "COMMAND_FAILED"
  | "CONTAINER_FAILED"
  | "CLUSTER_FAILED"
  | "ROLLOUT_FAILED"
  | "TIMEOUT"
  | "BACKUP_INVALID"
  | "AUDIT_INVALID"
  | "INTERRUPTED"
  | "USAGE"
  | "INTERNAL";

/** An error a person can act on: a stable code, what went wrong and how to fix it. */
export class HarnessError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HarnessError";
    this.code = code;
    this.hint = options.hint;
  }

  /** Exit code for the CLI: interruption is 130, a harness bug 70, everything else here is bad input or environment. */
  get exitCode(): ExitCode {
    return this.code === "INTERRUPTED" ? ExitCode.interrupted : this.code === "INTERNAL" ? ExitCode.internal : ExitCode.badInputOrEnvironment;
  }
}

/** Where to report a harness bug; printed with every INTERNAL error. */
export const REPORT_BUG = "this is a bug in the harness, not in the system under test: please report it with the stack trace above and the run folder";

/**
 * What to make of an error that reached the top: a HarnessError as it is;
 * anything else is a bug in the harness (INTERNAL), keeping the stack.
 */
export function asHarnessError(e: unknown): HarnessError {
  if (e instanceof HarnessError) return e;
  const stack = e instanceof Error && e.stack ? e.stack : String(e);
  return new HarnessError("INTERNAL", `unexpected error: ${errorMessage(e)}\n${stack}`, { hint: REPORT_BUG, cause: e });
}

export function isHarnessError(e: unknown): e is HarnessError {
  return e instanceof HarnessError;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
