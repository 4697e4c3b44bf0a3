import { parseDurationMs } from "../common/duration.js";

/** One problem in an input file: where it is and what was expected there. */
export interface Problem {
  path: string;
  message: string;
}

/**
 * Reads untyped YAML into typed values while tracking the dotted path, so
 * every problem names where it is (`steps[1].observe must be a duration
 * like "600s"`). Problems are collected, not thrown, so a file shows all of
 * its mistakes at once.
 */
export class Reader {
  constructor(
    readonly value: unknown,
    readonly path: string,
    private readonly problems: Problem[],
  ) {}

  static root(value: unknown, problems: Problem[]): Reader {
    return new Reader(value, "", problems);
  }

  problem(message: string, path = this.path): void {
    this.problems.push({ path: path || "(top level)", message });
  }

  private childPath(key: string | number): string {
    return typeof key === "number" ? `${this.path}[${key}]` : this.path ? `${this.path}.${key}` : key;
  }

  isObject(): boolean {
    return typeof this.value === "object" && this.value !== null && !Array.isArray(this.value);
  }

  /** The object's keys; reports anything not in `allowed` (a likely typo). */
  keys(allowed: readonly string[]): string[] {
    if (!this.isObject()) {
      this.problem(`must be a mapping (key: value), got ${describe(this.value)}`);
      return [];
    }
    const keys = Object.keys(this.value as object);
    for (const k of keys) {
      if (!allowed.includes(k)) {
        const near = closest(k, allowed);
        this.problem(`is not a known field${near ? ` (did you mean "${near}"?)` : ""}; known fields: ${allowed.join(", ")}`, this.childPath(k));
      }
    }
    return keys;
  }

  has(key: string): boolean {
    return this.isObject() && (this.value as Record<string, unknown>)[key] !== undefined;
  }

  at(key: string | number): Reader {
    const v = typeof key === "number" ? (Array.isArray(this.value) ? this.value[key] : undefined) : this.isObject() ? (this.value as Record<string, unknown>)[key] : undefined;
    return new Reader(v, this.childPath(key), this.problems);
  }

  private missing(what: string): undefined {
    this.problem(`is missing: expected ${what}`);
    return undefined;
  }

  string(options: { optional?: boolean; pattern?: RegExp; patternText?: string } = {}): string | undefined {
    if (this.value === undefined) return options.optional ? undefined : this.missing("a string");
    if (typeof this.value !== "string" || this.value === "") {
      this.problem(`must be a non-empty string, got ${describe(this.value)}`);
      return undefined;
    }
    if (options.pattern && !options.pattern.test(this.value)) {
      this.problem(`must be ${options.patternText ?? `like ${options.pattern}`}, got ${JSON.stringify(this.value)}`);
      return undefined;
    }
    return this.value;
  }

  oneOf<T extends string>(choices: readonly T[], options: { optional?: boolean } = {}): T | undefined {
    if (this.value === undefined) return options.optional ? undefined : this.missing(`one of ${choices.join(", ")}`);
    if (typeof this.value !== "string" || !choices.includes(this.value as T)) {
      const near = typeof this.value === "string" ? closest(this.value, choices) : undefined;
      this.problem(`must be one of ${choices.join(", ")}, got ${describe(this.value)}${near ? ` (did you mean "${near}"?)` : ""}`);
      return undefined;
    }
    return this.value as T;
  }

  number(options: { optional?: boolean; min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {}): number | undefined {
    if (this.value === undefined) return options.optional ? undefined : this.missing("a number");
    const v = this.value;
    const ok =
      typeof v === "number" &&
      Number.isFinite(v) &&
      (!options.integer || Number.isInteger(v)) &&
      (options.min === undefined || (options.exclusiveMin ? v > options.min : v >= options.min)) &&
      (options.max === undefined || v <= options.max);
    if (!ok) {
      const range = [
        options.min !== undefined ? `${options.exclusiveMin ? ">" : ">="} ${options.min}` : "",
        options.max !== undefined ? `<= ${options.max}` : "",
      ]
        .filter(Boolean)
        .join(" and ");
      this.problem(`must be ${options.integer ? "an integer" : "a number"}${range ? ` ${range}` : ""}, got ${describe(v)}`);
      return undefined;
    }
    return v as number;
  }

  boolean(options: { optional?: boolean } = {}): boolean | undefined {
    if (this.value === undefined) return options.optional ? undefined : this.missing("true or false");
    if (typeof this.value !== "boolean") {
      this.problem(`must be true or false, got ${describe(this.value)}`);
      return undefined;
    }
    return this.value;
  }

  /** A duration in milliseconds, written "600s", "5m", "250ms" or as seconds. */
  duration(options: { optional?: boolean; min?: number } = {}): number | undefined {
    if (this.value === undefined) return options.optional ? undefined : this.missing('a duration like "600s"');
    const ms = parseDurationMs(this.value);
    if (ms === undefined) {
      this.problem(`must be a duration like "600s", "5m" or "250ms", got ${describe(this.value)}`);
      return undefined;
    }
    if (options.min !== undefined && ms < options.min) {
      this.problem(`must be at least ${options.min} ms, got ${describe(this.value)}`);
      return undefined;
    }
    return ms;
  }

  list<T>(item: (r: Reader, index: number) => T | undefined, options: { optional?: boolean; nonEmpty?: boolean } = {}): T[] {
    if (this.value === undefined) {
      if (!options.optional) this.missing("a list");
      return [];
    }
    if (!Array.isArray(this.value)) {
      this.problem(`must be a list, got ${describe(this.value)}`);
      return [];
    }
    if (options.nonEmpty && this.value.length === 0) this.problem("must not be empty");
    const out: T[] = [];
    this.value.forEach((_, i) => {
      const v = item(this.at(i), i);
      if (v !== undefined) out.push(v);
    });
    return out;
  }

  /** A mapping whose keys are names chosen by the author (e.g. version roles). */
  entries<T>(item: (r: Reader, key: string) => T | undefined, options: { optional?: boolean } = {}): Array<[string, T]> {
    if (this.value === undefined) {
      if (!options.optional) this.missing("a mapping");
      return [];
    }
    if (!this.isObject()) {
      this.problem(`must be a mapping (key: value), got ${describe(this.value)}`);
      return [];
    }
    const out: Array<[string, T]> = [];
    for (const key of Object.keys(this.value as object)) {
      const v = item(this.at(key), key);
      if (v !== undefined) out.push([key, v]);
    }
    return out;
  }
}

export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return JSON.stringify(v);
  return `${typeof v} ${String(v)}`;
}

/** The closest candidate within edit distance 2, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
