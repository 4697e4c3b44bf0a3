import { formatDuration } from "../common/duration.js";
import type { RecoveryEvidence } from "../recovery/drill.js";
import type { Expectation, TimeBound } from "../scenario/scenario.js";
import type { Evidence, ExpectationKind, Verdict } from "./evidence.js";

/** Spec time as people read it in a report: "12m30s", "1h5m". */
function spec(ms: number): string {
  if (ms < 3_600_000) return formatDuration(ms);
  const h = Math.floor(ms / 3_600_000);
  const rest = ms - h * 3_600_000;
  return rest < 1000 ? `${h}h` : `${h}h${formatDuration(rest)}`;
}

function within(bound: TimeBound, ms: number): boolean {
  return bound.op === "<" ? ms < bound.ms : ms <= bound.ms;
}

const SHOWN = 5;
function ids(list: readonly string[]): string {
  return list.length <= SHOWN ? list.join(", ") : `${list.slice(0, SHOWN).join(", ")} and ${list.length - SHOWN} more`;
}

/** The parts of a drill every recovery expectation needs, or why it cannot be judged. */
function drill(evidence: Evidence): { r: RecoveryEvidence; disaster: NonNullable<RecoveryEvidence["disaster"]>; restore: NonNullable<RecoveryEvidence["restore"]> } | string {
  const r = evidence.recovery;
  if (!r?.disaster) return "no disaster happened in the run";
  if (!r.restore) return `no restore followed the disaster (${r.disaster.what} at spec ${spec(r.disaster.specMs)})`;
  return { r, disaster: r.disaster, restore: r.restore };
}

/**
 * Every write acknowledged before the restored backup's point in time is
 * back and identical: its id in the restored table with the checksum the row
 * had before the disaster. Writes acknowledged between the backup and the
 * disaster are the write gap: reported, not counted as lost (no backup could
 * hold them). Judged on the acknowledged writes, so a run with none before
 * the backup point proves nothing and does not hold.
 */
function judgeRestored(e: Extract<Expectation, { kind: "restored" }>, evidence: Evidence): Verdict {
  const d = drill(evidence);
  if (typeof d === "string") return { held: false, evidence: d };
  const { r, disaster, restore } = d;
  const before = r.before ?? new Map<string, string>();
  const point = restore.backup.takenAtSpecMs;
  const expected: string[] = [];
  const gap: string[] = [];
  r.writes.forEach((w, i) => {
    const ack = r.ackSpecMs[i]!;
    if (ack < point) expected.push(w.id);
    else if (ack <= disaster.specMs) gap.push(w.id);
  });
  const backup = `backup ${restore.backup.id} (taken at spec ${spec(point)})`;
  if (expected.length === 0) {
    return { held: false, evidence: `no write was acknowledged before ${backup}: nothing shows what the restore brought back` };
  }
  const missing = expected.filter((id) => !restore.rows.has(id));
  const changed = expected.filter((id) => restore.rows.has(id) && restore.rows.get(id) !== before.get(id));
  const lost = missing.length + changed.length;
  const gapBack = gap.filter((id) => restore.rows.has(id)).length;
  const parts = [
    `${expected.length} writes acknowledged before ${backup}: ${expected.length - lost} back and identical`,
    missing.length > 0 ? `${missing.length} missing (${ids(missing)})` : "",
    changed.length > 0 ? `${changed.length} changed (${ids(changed)})` : "",
    `write gap: ${gap.length} acknowledged between the backup and the disaster${gap.length > 0 ? ` (${gapBack} of them in the backup anyway)` : ""}`,
    `${restore.rows.size} rows restored into ${restore.into === "new-server" ? "a new server" : "a new database"}`,
  ];
  let held = lost <= e.rowsLost;
  if (e.skipped !== undefined) {
    const skipped = evidence.events.filter((ev) => ev.type === "backup.skipped" && ev.kind === "database");
    held &&= skipped.length === e.skipped;
    parts.push(
      skipped.length === 0
        ? "no backup was passed over"
        : `passed over ${skipped.length} backup(s) that did not verify: ${skipped.map((ev) => (ev.type === "backup.skipped" ? `${ev.id} (${why(ev.reason)})` : "")).join(", ")}`,
    );
  }
  return { held, evidence: parts.filter(Boolean).join("; ") };
}

/** RPO: spec time from the restored backup's point in time to the disaster. */
function judgeRpo(e: Extract<Expectation, { kind: "rpo" }>, evidence: Evidence): Verdict {
  const d = drill(evidence);
  if (typeof d === "string") return { held: false, evidence: d };
  const rpo = d.disaster.specMs - d.restore.backup.takenAtSpecMs;
  return {
    held: within(e.bound, rpo),
    evidence: `RPO ${spec(rpo)} (spec): backup ${d.restore.backup.id} taken at ${spec(d.restore.backup.takenAtSpecMs)}, the disaster at ${spec(d.disaster.specMs)}; bound ${e.bound.text}`,
  };
}

/** RTO: spec time from the disaster to the answer of the first write sent after it that succeeded. */
function judgeRto(e: Extract<Expectation, { kind: "rto" }>, evidence: Evidence): Verdict {
  const d = drill(evidence);
  if (typeof d === "string") return { held: false, evidence: d };
  if (d.r.firstWriteSpecMs === undefined) return { held: false, evidence: `no write sent after the disaster (spec ${spec(d.disaster.specMs)}) succeeded before the load ended` };
  const rto = d.r.firstWriteSpecMs - d.disaster.specMs;
  return {
    held: within(e.bound, rto),
    evidence: `RTO ${spec(rto)} (spec): the disaster at ${spec(d.disaster.specMs)}, restored at ${spec(d.restore.specMs)}, the first write after it acknowledged at ${spec(d.r.firstWriteSpecMs)}; bound ${e.bound.text}`,
  };
}

/** Why a backup did not verify, in a few words (the event's reason names the file by its full path). */
function why(reason: string): string {
  if (/another key/.test(reason)) return "encrypted for another key";
  if (/truncated or damaged|truncated or altered|not the file that was written/.test(reason)) return "truncated or damaged";
  if (/is missing/.test(reason)) return "missing";
  if (/not a valid/.test(reason)) return "decrypts, but pg_restore --list refuses it";
  return "does not verify";
}

export const restored = {
  describe: (e) =>
    `every write acknowledged before the restored backup is back and identical${e.rowsLost > 0 ? `, but for at most ${e.rowsLost}` : ""}${e.skipped !== undefined ? `; the restore passed over ${e.skipped} backup(s) that did not verify` : ""}`,
  judge: judgeRestored,
} satisfies ExpectationKind<"restored">;

export const rpo = {
  describe: (e) => `recovery point objective: the restored backup was taken at most ${e.bound.text.replace(/^<=?/, "")} (spec) before the disaster${e.bound.op === "<" ? " (strictly less)" : ""}`,
  judge: judgeRpo,
} satisfies ExpectationKind<"rpo">;

export const rto = {
  describe: (e) => `recovery time objective: the first write succeeds ${e.bound.op === "<" ? "less than" : "at most"} ${e.bound.text.replace(/^<=?/, "")} (spec) after the disaster`,
  judge: judgeRto,
} satisfies ExpectationKind<"rto">;
