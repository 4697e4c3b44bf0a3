import { median } from "./figures.js";

/**
 * The RTO of a disaster recovery run split into its parts, from the run's
 * timeline (events.jsonl): the disaster is the `database-loss` fault (see
 * harness/recovery/drill.ts); each part ends at a `recovery.phase` event. The
 * phases come in this order (detect, start PostgreSQL, restore, point the
 * service at it, service ready, first write); a phase the run did not record
 * folds into the part that follows it. Two moments of the timeline join the
 * drill's phases: `destroyed` (the fault's own event, once the container and
 * its volume are gone) and `recovery-started` (the scenario's restore step
 * starts: until then the scenario lets the outage run, as an operator who
 * has not acted yet).
 */
export const RTO_PHASES = ["detected", "destroyed", "recovery-started", "database-started", "restored", "service-pointed", "service-ready", "first-write"] as const;

/** The phase whose time ends the RTO: the first successful write after recovery. */
export const RTO_END = "first-write";

const PART_NAMES: Record<string, string> = {
  detected: "detect the loss (first failed request)",
  destroyed: "the rest of the destruction",
  "recovery-started": "until the restore step starts (the scenario's wait)",
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
  /** A `step.started`'s kind ("action restore-database"). */
  readonly kind?: unknown;
  /** A `recovery.phase`'s own time from the disaster: the recovery drill stamps some phases with when they happened, before it emits them. */
  readonly sinceDisasterSeconds?: unknown;
}

export interface RtoPart {
  /** The phase that ends the part. */
  readonly phase: string;
  /** Wall seconds from the previous phase (or the disaster) to this one. */
  readonly seconds: number;
}

export interface RtoSplit {
  /** Wall seconds since the run started at which the disaster happened. */
  readonly disasterT: number;
  /** One part per phase recorded after the disaster, in time order. */
  readonly parts: readonly RtoPart[];
  /** Wall seconds from the disaster to the first write after recovery; undefined when the run recorded none. */
  readonly totalSeconds: number | undefined;
  /** Phases of the drill the run did not record. */
  readonly missing: readonly string[];
}

/** Moments the timeline adds to the drill's phases, where it has them; never reported missing. */
const TIMELINE_MOMENTS: ReadonlySet<string> = new Set(["destroyed", "recovery-started"]);

/** A step that performs the restore: its `step.started` event's kind. */
const RESTORE_STEP = "action restore-database";

/** The recovery drill's own mark of the disaster, a `recovery.phase` of its own. */
const DISASTER_PHASE = "disaster";

/**
 * Split one run's timeline. The first `fault.injected` of `fault` says there
 * was the disaster; the time counts from the drill's `disaster` phase right
 * before it (marked as the fault begins, while `fault.injected` comes once
 * the container is gone), or from the fault's event when there is none. The
 * first `recovery.phase` of each phase after it ends a part, at its
 * `sinceDisasterSeconds` where it carries one (a phase stamped with when it
 * happened, emitted later: the first failed request is found only when the
 * restore starts), else at its own `t`. Phases are taken in time order, known
 * or not, so a renamed phase still shows up as a part of its own. Undefined
 * when there was no disaster.
 */
export function splitRto(events: readonly TimedEvent[], fault = "database-loss"): RtoSplit | undefined {
  const injected = events.findIndex((e) => e.type === "fault.injected" && e.fault === fault);
  if (injected === -1) return undefined;
  let origin = events[injected]!;
  for (let i = injected - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === "recovery.phase" && e.phase === DISASTER_PHASE) {
      origin = e;
      break;
    }
  }
  // Destroyed when the fault's event came: a part of its own only when the drill marked the disaster before it.
  const firsts = new Map<string, number>(origin === events[injected] ? [] : [["destroyed", events[injected]!.t - origin.t]]);
  for (const e of events) {
    if (e.t < origin.t) continue;
    if (e.type === "step.started" && typeof e.kind === "string" && e.kind.startsWith(RESTORE_STEP) && !firsts.has("recovery-started")) firsts.set("recovery-started", e.t - origin.t);
    if (e.type !== "recovery.phase" || typeof e.phase !== "string" || e.phase === DISASTER_PHASE) continue;
    if (!firsts.has(e.phase)) firsts.set(e.phase, typeof e.sinceDisasterSeconds === "number" ? e.sinceDisasterSeconds : e.t - origin.t);
  }
  const known = new Map<string, number>(RTO_PHASES.map((p, i) => [p, i]));
  // Time order; a tie keeps the known phases' order.
  const ordered = [...firsts.entries()].sort((a, b) => a[1] - b[1] || (known.get(a[0]) ?? 99) - (known.get(b[0]) ?? 99));
  let previous = 0;
  const parts = ordered.map(([phase, since]) => {
    const part = { phase, seconds: since - previous };
    previous = since;
    return part;
  });
  return {
    disasterT: origin.t,
    parts,
    totalSeconds: firsts.get(RTO_END),
    missing: RTO_PHASES.filter((p) => !firsts.has(p) && !TIMELINE_MOMENTS.has(p)),
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
