/** What a bench measures and writes to runs/bench/<name>.json. */

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  target?: string;
  met?: boolean;
}

export interface BenchReport {
  bench: string;
  at: string;
  machine: { cpus: number; node: string };
  figures: BenchFigure[];
  detail?: unknown;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
