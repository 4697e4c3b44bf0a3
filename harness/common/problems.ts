import type { z } from "zod";
import { describe, didYouMean, oneOfMessage } from "./suggest.js";

/**
 * One problem in an input file: where it is (the path of keys and list
 * indices from the top of the file), what was expected there, and, once the
 * file's YAML has been consulted, its line and column.
 */
export interface Problem {
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
  /** Point at the key rather than its value (an unknown field). */
  readonly at?: "key";
  readonly line?: number;
  readonly column?: number;
}

/** `steps[0].observe`; `(top level)` for the empty path. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out ? `.${key}` : key;
  return out || "(top level)";
}

/** `scenarios/x.yaml:12:14: steps[0].observe must be …` (without the position when it is not known). */
export function formatProblem(file: string, p: Problem): string {
  const where = p.line !== undefined ? `${file}:${p.line}:${p.column ?? 1}` : file;
  return `${where}: ${formatPath(p.path)} ${p.message}`;
}

/** Known fields of the object an `unrecognized_keys` issue came from, keyed by the issue's list of keys (the one thing an issue keeps). */
const KNOWN_FIELDS = new WeakMap<readonly string[], readonly string[]>();

type RawIssue = z.core.$ZodRawIssue & { schema?: z.core.$ZodType; inst?: unknown; keys?: string[]; discriminator?: string; options?: unknown[] };
/** A check of a schema, as zod keeps it in the schema's definition. */
interface CheckDef {
  check?: string;
  format?: string;
  value?: number;
  inclusive?: boolean;
  pattern?: RegExp;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
};

/**
 * The harness's wording for zod's issues, passed as the `error` option of
 * every parse (see `validate`): "is missing: expected a number", "must be an
 * integer >= 1 and <= 10, got number 0", "must be one of …, got "x" (did you
 * mean …?)". A schema's own `error` option, where one is set, wins.
 */
export function zodMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const iss = issue as RawIssue;
  const owner = (iss.schema ?? iss.inst) as { _zod?: { def?: { type?: string; shape?: object; entries?: object; values?: unknown[]; checks?: Array<{ _zod: { def: CheckDef } }> } } } | undefined;
  const type = owner?._zod?.def?.type;
  const checks = (owner?._zod?.def?.checks ?? []).map((c) => c._zod.def);
  if (iss.code === "unrecognized_keys") {
    KNOWN_FIELDS.set(iss.keys!, Object.keys(owner?._zod?.def?.shape ?? {}));
    return "is not a known field";
  }
  if (iss.code === "invalid_union" && iss.discriminator !== undefined) {
    const choices = (iss.options ?? []).map(String);
    const got = isRecord(iss.input) ? iss.input[iss.discriminator] : undefined;
    return got === undefined ? `is missing: expected one of ${choices.join(", ")}` : oneOfMessage(choices, got);
  }
  if (type === "enum" || type === "literal") {
    const choices = type === "enum" ? Object.values((owner!._zod!.def as { entries: object }).entries).map(String) : (owner!._zod!.def!.values ?? []).map(String);
    return iss.input === undefined ? `is missing: expected one of ${choices.join(", ")}` : oneOfMessage(choices, iss.input);
  }
  if (iss.input === undefined) return `is missing: expected ${EXPECTED[type ?? ""] ?? EXPECTED[(iss as { expected?: string }).expected ?? ""] ?? "a value"}`;
  const got = describe(iss.input);
  switch (type) {
    case "number":
      return `must be ${numberText(checks)}, got ${got}`;
    case "string":
      if (iss.code === "invalid_format" && (iss as { pattern?: string }).pattern) return `must be like /${(iss as { pattern?: string }).pattern}/, got ${got}`;
      return `must be a non-empty string, got ${got}`;
    case "boolean":
      return `must be true or false, got ${got}`;
    case "array":
      if (iss.code === "too_small") return iss.minimum === 1 ? "must not be empty" : `must list at least ${iss.minimum}`;
      if (iss.code === "too_big") return `must list at most ${iss.maximum}`;
      return `must be a list, got ${got}`;
    case "object":
    case "record":
      return `must be a mapping (key: value), got ${got}`;
  }
  return undefined;
}

/** "an integer >= 1 and <= 10", "a number > 0" from a number schema's checks. */
function numberText(checks: CheckDef[]): string {
  const lower = checks.filter((c) => c.check === "greater_than").at(-1);
  const upper = checks.filter((c) => c.check === "less_than").at(-1);
  const parts = [lower ? `${lower.inclusive ? ">=" : ">"} ${lower.value}` : "", upper ? `${upper.inclusive ? "<=" : "<"} ${upper.value}` : ""].filter(Boolean);
  const kind = checks.some((c) => c.format === "safeint" || c.format === "int32") ? "an integer" : "a number";
  return parts.length > 0 ? `${kind} ${parts.join(" and ")}` : kind;
}

/** zod's issues as Problems, under `prefix`: an unknown key is one problem per key, at the key; repeats are dropped. */
export function zodProblems(issues: readonly z.core.$ZodIssue[], prefix: ReadonlyArray<string | number> = []): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  const add = (p: Problem) => {
    const id = `${formatPath(p.path)}\u0000${p.message}`;
    if (!seen.has(id)) out.push(p);
    seen.add(id);
  };
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as Array<string | number>)];
    if (issue.code === "unrecognized_keys") {
      const known = KNOWN_FIELDS.get(issue.keys) ?? [];
      for (const key of issue.keys) {
        add({ path: [...path, key], at: "key", message: `is not a known field${didYouMean(key, known)}${known.length > 0 ? `; known fields: ${known.join(", ")}` : ""}` });
      }
    } else add({ path, message: issue.message, ...((issue as { params?: { at?: "key" } }).params?.at === "key" ? { at: "key" as const } : {}) });
  }
  return out;
}

/** Parse with the harness's messages: the typed value, or every problem (paths under `prefix`). */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: ReadonlyArray<string | number> = [],
): { ok: true; data: z.output<S>; problems: [] } | { ok: false; problems: Problem[] } {
  const result = schema.safeParse(value, { error: zodMessage });
  return result.success ? { ok: true, data: result.data, problems: [] } : { ok: false, problems: zodProblems(result.error.issues, prefix) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Report problems found by a nested validation (a registry's schema, say) as issues of the value being parsed, paths relative to it. */
export function addProblems(ctx: z.RefinementCtx, problems: readonly Problem[]): void {
  for (const p of problems) ctx.addIssue({ code: "custom", path: [...p.path], message: p.message, ...(p.at ? { params: { at: p.at } } : {}) });
}
