import { median } from "./figures.js";

/**
 * The RTO of a disaster recovery run split into its parts, from the run's
 * timeline (events.jsonl): the disaster is the `fault.injected` event of the
 * `database-loss` fault; each part ends at a `recovery.phase` event. The
 * phases come in this order (detect, start PostgreSQL, restore, point the
 * service at it, service ready, first write); a phase the run did not record
 * folds into the part that follows it.
 */
export const RTO_PHASES = ["detected", "database-started", "restored", "service-pointed", "service-ready", "first-write"] as const;

/** The phase whose time ends the RTO: the first successful write after recovery. */
export const RTO_END = "first-write";

const PART_NAMES: Record<string, string> = {
  detected: "detect the loss",
  "database-started": "start PostgreSQL",
  restored: "restore the backup",
  "service-pointed": "point the service at it",
  "service-ready": "service ready",
  "first-write": "first write",
};

/** The name of the part that ends at `phase`. */
export function partName(phase: string): string {
  return PART_NAMES[phase] ?? phase;
}

/** What the split reads of an event: its type, wall seconds since the run started, and the fields it names. */
export interface TimedEvent {
  readonly type: string;
  readonly t: number;
  readonly fault?: unknown;
  readonly phase?: unknown;
}

export interface RtoPart {
  /** The phase that ends the part. */
  readonly phase: string;
  /** Wall seconds from the previous phase (or the disaster) to this one. */
  readonly seconds: number;
}

export interface RtoSplit {
  /** Wall seconds since the run started at which the disaster was injected. */
  readonly disasterT: number;
  /** One part per phase recorded after the disaster, in time order. */
  readonly parts: readonly RtoPart[];
  /** Wall seconds from the disaster to the first write after recovery; undefined when the run recorded none. */
  readonly totalSeconds: number | undefined;
  /** Known phases the run did not record. */
  readonly missing: readonly string[];
}

/**
 * Split one run's timeline. The first `fault.injected` of `fault` is the
 * disaster; the first `recovery.phase` of each phase after it ends a part
 * (phases recorded before the disaster belong to no recovery and are left
 * out). Phases are taken in time order, known or not, so a renamed phase
 * still shows up as a part of its own. Undefined when there was no disaster.
 */
export function splitRto(events: readonly TimedEvent[], fault = "database-loss"): RtoSplit | undefined {
  const disaster = events.find((e) => e.type === "fault.injected" && e.fault === fault);
  if (!disaster) return undefined;
  const firsts = new Map<string, number>();
  for (const e of events) {
    if (e.type !== "recovery.phase" || typeof e.phase !== "string" || e.t < disaster.t) continue;
    if (!firsts.has(e.phase)) firsts.set(e.phase, e.t);
  }
  const known = new Map<string, number>(RTO_PHASES.map((p, i) => [p, i]));
  // Time order; a tie keeps the known phases' order.
  const ordered = [...firsts.entries()].sort((a, b) => a[1] - b[1] || (known.get(a[0]) ?? 99) - (known.get(b[0]) ?? 99));
  let previous = disaster.t;
  const parts = ordered.map(([phase, t]) => {
    const part = { phase, seconds: t - previous };
    previous = t;
    return part;
  });
  const end = firsts.get(RTO_END);
  return {
    disasterT: disaster.t,
    parts,
    totalSeconds: end === undefined ? undefined : end - disaster.t,
    missing: RTO_PHASES.filter((p) => !firsts.has(p)),
  };
}

/**
 * The median of each part over several runs, in the known phases' order
 * (then any other phase), each over the runs that recorded it; and the
 * median total over the runs that reached the first write.
 */
export function medianSplit(splits: readonly RtoSplit[]): { parts: Array<RtoPart & { runs: number }>; totalSeconds: number | undefined; runs: number } {
  const byPhase = new Map<string, number[]>();
  for (const s of splits) for (const p of s.parts) byPhase.set(p.phase, [...(byPhase.get(p.phase) ?? []), p.seconds]);
  const known: readonly string[] = RTO_PHASES;
  const phases = [...byPhase.keys()].sort((a, b) => rank(known, a) - rank(known, b));
  const totals = splits.map((s) => s.totalSeconds).filter((t): t is number => t !== undefined);
  return {
    parts: phases.map((phase) => ({ phase, seconds: median(byPhase.get(phase)!), runs: byPhase.get(phase)!.length })),
    totalSeconds: totals.length > 0 ? median(totals) : undefined,
    runs: totals.length,
  };
}

function rank(known: readonly string[], phase: string): number {
  const i = known.indexOf(phase);
  return i === -1 ? known.length : i;
}

/** Events of a run's events.jsonl text: one JSON object a line; blank lines are skipped. */
export function parseEvents(text: string): TimedEvent[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as TimedEvent);
}
