/**
 * The deployment document's threshold grammar, parsed in one place:
 * ">5%", "<1%", "<0.5%", "<500ms", ">2s", ">=3". Strict operators are strict:
 * an error rate of exactly 5% does not breach ">5%". A time may name the
 * latency statistic it is about: "p99<500ms", "avg<300ms" (p95 when unnamed).
 */
export type Operator = "<" | "<=" | ">" | ">=";
export type Unit = "ratio" | "ms" | "count";

export interface Comparison {
  readonly op: Operator;
  /** Ratios as fractions (5% -> 0.05), times in milliseconds. */
  readonly value: number;
  readonly unit: Unit;
  /** As written, for reports. */
  readonly text: string;
  /** For times: the latency statistic named before the operator ("p99", "avg"), if any. */
  readonly statistic?: string;
}

const GRAMMAR = /^\s*(p\d{1,2}|avg)?\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*(%|ms|s)?\s*$/;

export function parseComparison(text: string): Comparison | undefined {
  const m = GRAMMAR.exec(text);
  if (!m) return undefined;
  const statistic = m[1];
  const suffix = m[4];
  if (statistic !== undefined && suffix !== "ms" && suffix !== "s") return undefined;
  const unit: Unit = suffix === "%" ? "ratio" : suffix === "ms" || suffix === "s" ? "ms" : "count";
  // Scale by shifting the decimal exponent, not by dividing: 0.7 / 100 is 0.006999999999999999, and an
  // observed 0.7% (7 / 1000) would then breach ">0.7%". "0.7e-2" parses to the double nearest 0.007.
  const value = Number(suffix === "%" ? `${m[3]}e-2` : suffix === "s" ? `${m[3]}e3` : m[3]);
  return { op: m[2] as Operator, value, unit, text: text.trim(), ...(statistic ? { statistic } : {}) };
}

/** Does `observed` (a fraction, milliseconds or a count, in the comparison's unit) satisfy the comparison? */
export function satisfies(c: Comparison, observed: number): boolean {
  switch (c.op) {
    case "<":
      return observed < c.value;
    case "<=":
      return observed <= c.value;
    case ">":
      return observed > c.value;
    case ">=":
      return observed >= c.value;
  }
}

/** A count against a bound that may also be exact ("==", a plain number in a scenario). */
export function countSatisfies(bound: { readonly op: Operator | "=="; readonly value: number }, n: number): boolean {
  return bound.op === "==" ? n === bound.value : satisfies({ op: bound.op, value: bound.value, unit: "count", text: "" }, n);
}

/** Human text for an observed value in the comparison's unit: "4.20%", "512ms", "3". */
export function formatObserved(c: Pick<Comparison, "unit">, observed: number): string {
  if (c.unit === "ratio") return `${(observed * 100).toFixed(2)}%`;
  if (c.unit === "ms") return `${Math.round(observed)}ms`;
  return String(observed);
}

const COMPLEMENT: Record<Operator, Operator> = { ">": "<=", ">=": "<", "<": ">=", "<=": ">" };

/**
 * The comparison that holds exactly when `c` does not: ">5%" -> "<=5%",
 * "p99<500ms" -> "p99>=500ms". Same value, unit and statistic; the text keeps
 * the number and suffix as written.
 */
export function complement(c: Comparison): Comparison {
  const op = COMPLEMENT[c.op];
  const m = GRAMMAR.exec(c.text);
  const text = m ? `${m[1] ?? ""}${op}${m[3]}${m[4] ?? ""}` : `${op}${c.value}`;
  return { ...c, op, text };
}
