import { HarnessError } from "../common/errors.js";
import type { RunResults } from "../report/results.js";

/** The most `--retries` allows: each attempt is a whole run. */
export const MAX_RETRIES = 5;

/** An earlier attempt of a scenario that was run again: its folder and why it could not be judged. */
export interface EarlierAttempt {
  readonly runDir: string;
  readonly reason: string;
}

/** `--retries N`, checked: a whole number from 0 to MAX_RETRIES. */
export function parseRetries(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  // Digits only (so not "1.5", "1e1" or "-1"), which Number() then reads as a whole number.
  if (!/^\d+$/.test(value.trim()) || n > MAX_RETRIES) {
    throw new HarnessError("USAGE", `--retries must be a whole number from 0 to ${MAX_RETRIES}, got "${value}"`, {
      hint: "--retries 1 runs an inconclusive scenario (measured on a saturated machine) once more; failed runs are never run again",
    });
  }
  return n;
}

/**
 * Why a run is run again under `--retries`, or undefined when it is not.
 * Only an inconclusive run is: the machine running the harness was saturated
 * while it measured, so another attempt may judge it. A failed run is a
 * finding and an error needs a fix: running either again would only hide it.
 */
export function retryReason(r: Pick<RunResults, "verdict" | "expectations" | "strategy">): string | undefined {
  if (r.verdict !== "inconclusive") return undefined;
  const unjudged = r.expectations.find((e) => !e.held && e.inconclusive);
  if (unjudged) return `${unjudged.id}: ${unjudged.inconclusive}`;
  return r.strategy?.inconclusive ? `stage ${r.strategy.inconclusive.stage}: ${r.strategy.inconclusive.reason}` : "some expectations could not be judged";
}

/** What the summary adds to a run that took more than one attempt. */
export function attemptsNote(earlier: readonly EarlierAttempt[], displayPath: (file: string) => string): string {
  if (earlier.length === 0) return "";
  return ` (attempt ${earlier.length + 1}; ${earlier.map((a, i) => `attempt ${i + 1} inconclusive: ${displayPath(a.runDir)}`).join(", ")})`;
}
