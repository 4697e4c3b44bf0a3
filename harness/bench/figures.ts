/** What a bench measures and writes to runs/bench/<name>.json. */

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  target?: string;
  met?: boolean;
  /** Why there is no value (it is NaN, written as null): "not measured: ...". */
  note?: string;
}

export interface BenchReport {
  bench: string;
  at: string;
  machine: { cpus: number; node: string };
  figures: BenchFigure[];
  detail?: unknown;
}

/** The p-th percentile of a sample, nearest rank (p95 of 20 values is the 19th smallest). */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The median of the ratios `a[i] / b[i]` of runs taken in pairs (interleaved,
 * so each pair saw the same moment of a noisy machine): steadier than a ratio
 * of two medians when the machine's speed drifts during the bench.
 */
export function medianRatio(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) throw new RangeError(`medianRatio needs two runs of the same non-zero length, got ${a.length} and ${b.length}`);
  return median(a.map((x, i) => x / b[i]!));
}
