import { z } from "zod";
import { parseDurationMs } from "./duration.js";
import { describe } from "./suggest.js";

/**
 * The building blocks of the harness's input schemas (scenario files, the
 * deployment document, load profiles), so every field says what it expects
 * in the same words. Messages for plain strings, numbers, booleans, lists and
 * mappings come from `zodMessage` (common/problems.ts); the blocks here add
 * the ones zod cannot word: patterns described for people, durations.
 */

/** A non-empty string; with a pattern, `must be <text>, got "x"` when it does not match. */
export function str(pattern?: { re: RegExp; text: string }) {
  const s = z.string().min(1);
  return pattern ? s.regex(pattern.re, { error: (iss) => `must be ${pattern.text}, got ${describe(iss.input)}` }) : s;
}

/** A mapping with exactly these fields: any other key is a problem naming the known ones (with a did-you-mean). */
export const obj = z.strictObject;

/** A list; `nonEmpty` refuses `[]` ("must not be empty"). */
export function list<T extends z.ZodType>(item: T, options: { nonEmpty?: boolean } = {}) {
  return options.nonEmpty ? z.array(item).min(1) : z.array(item);
}

/** A mapping whose keys are names the author chooses (version roles, environments). */
export function entries<T extends z.ZodType>(item: T) {
  return z.record(z.string(), item);
}

/** A duration in milliseconds, written "600s", "5m", "250ms" or as seconds; at least `min` ms. */
export function duration(options: { min?: number } = {}) {
  return z.unknown().transform((v, ctx): number => {
    const ms = parseDurationMs(v);
    if (v === undefined) ctx.addIssue({ code: "custom", message: 'is missing: expected a duration like "600s"' });
    else if (ms === undefined) ctx.addIssue({ code: "custom", message: `must be a duration like "600s", "5m" or "250ms", got ${describe(v)}` });
    else if (options.min !== undefined && ms < options.min) ctx.addIssue({ code: "custom", message: `must be at least ${options.min} ms, got ${describe(v)}` });
    else return ms;
    return z.NEVER;
  });
}

/** A check that runs even when parts of the value have problems, so a file shows all of its mistakes at once. */
export const ALWAYS = { when: () => true } as const;

/** The value as a mapping, when it is one (checks that run on partly valid values read it through this). */
export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A version role the file declared under `versions:` (when it declared any). */
export function declaredRole(roles: readonly string[]) {
  return str().superRefine((role, ctx) => {
    if (roles.length > 0 && !roles.includes(role)) ctx.addIssue({ code: "custom", message: `must name a version declared under versions (${roles.join(", ")}), got "${role}"` });
  });
}
