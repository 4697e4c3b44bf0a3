/**
 * What a suite may run side by side: the machine's budget decides (the cores
 * each run is estimated to cost, harness/coordination/cost.ts, against what
 * the runs going on and other processes' runs leave). Pure, for its tests.
 */
export interface Packable {
  /** Its estimated cost in cores. */
  readonly cores: number;
  /** A kind run: kind runs share one cluster (its NodePorts), so only one goes at a time. */
  readonly kind: boolean;
}

/**
 * The index of the first pending run (in the suite's order) that fits beside
 * the running ones in `free` cores (the machine's, less what other
 * processes' runs hold and the running ones cost), or undefined while none
 * does. With nothing running, the first pending starts whatever its size:
 * alone, it waits for other processes' runs on the budget like any run.
 */
export function nextToStart(pending: readonly Packable[], running: readonly Packable[], free: number): number | undefined {
  if (pending.length === 0) return undefined;
  if (running.length === 0) return 0;
  const kindRunning = running.some((r) => r.kind);
  const index = pending.findIndex((p) => p.cores <= free + 1e-9 && !(p.kind && kindRunning));
  return index === -1 ? undefined : index;
}
