/** An event of a run, as events.jsonl has it: what the reaction reads. */
interface RunEvent {
  type: string;
  t: number;
  role?: string;
  pods?: Array<{ ready: boolean }>;
  autoscaler?: { cpu?: number; cpuTarget?: number; min: number };
}

/**
 * How long the autoscaler took, in spec seconds (wall seconds over the time
 * scale): from the load's start, and from the first reading of the pods' CPU
 * above the target, to the first ready pod beyond the autoscaler's minimum.
 * Undefined parts where the run never got there.
 */
export function scaleReaction(events: readonly RunEvent[], role: string, scale: number): { fromLoad?: number; fromBreach?: number } {
  const loadAt = events.find((e) => e.type === "load.started")?.t;
  const mine = events.filter((e) => e.type === "pods.observed" && e.role === role);
  const breachAt = mine.find((e) => e.autoscaler?.cpu !== undefined && e.autoscaler.cpuTarget !== undefined && e.autoscaler.cpu > e.autoscaler.cpuTarget)?.t;
  const grownAt = mine.find((e) => e.autoscaler && (e.pods ?? []).filter((p) => p.ready).length > e.autoscaler.min)?.t;
  const spec = (from: number | undefined) => (from !== undefined && grownAt !== undefined && grownAt >= from ? (grownAt - from) / scale : undefined);
  const fromLoad = spec(loadAt);
  const fromBreach = spec(breachAt);
  return { ...(fromLoad !== undefined ? { fromLoad } : {}), ...(fromBreach !== undefined ? { fromBreach } : {}) };
}
