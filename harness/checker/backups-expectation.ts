import { countSatisfies } from "../document/comparison.js";
import type { DeploymentSpec } from "../document/deployment-spec.js";
import type { BackupKind } from "../model/backup-kind.js";
import { retentionOf } from "../recovery/backup-policy.js";
import type { Expectation } from "../scenario/scenario.js";
import { stepWindow, type Evidence, type ExpectationKind, type Verdict } from "./evidence.js";

/** The backups of a kind in the store at the end of the run: their number, and that every file is age-encrypted and shows no plaintext. */
function judgeBackups(e: Extract<Expectation, { kind: "backups" }>, evidence: Evidence): Verdict {
  const r = evidence.recovery;
  if (!r) return { held: false, evidence: "the run took no backups" };
  const entries = r.backups.filter((b) => b.kind === e.backupKind);
  const files = r.files.filter((f) => f.kind === e.backupKind);
  const parts: string[] = [];
  let held = true;
  if (e.count) {
    const when = e.before === undefined ? undefined : stepWindow(evidence.events, e.before)?.start;
    if (e.before !== undefined && when === undefined) return { held: false, evidence: `step ${e.before} never ran, so the backups before it were not counted` };
    const counted = when === undefined ? entries : inStoreAt(evidence, e.backupKind, when);
    const n = counted.length;
    const ok = countSatisfies(e.count, n);
    held &&= ok;
    const span = counted.length > 0 ? ` (taken from spec ${minutes(counted[0]!.takenAtSpecMs)} to ${minutes(counted[counted.length - 1]!.takenAtSpecMs)})` : "";
    parts.push(`${n} ${e.backupKind} backups in the store${e.before !== undefined ? ` when step ${e.before} started` : ""}${span}, expected ${e.count.op === "==" ? "exactly " : ""}${e.count.text}`);
  }
  if (e.encrypted) {
    const bad = files.filter((f) => !f.present || !f.ageHeader || f.plaintext);
    const ok = files.length > 0 && bad.length === 0 && entries.every((b) => b.encrypted);
    held &&= ok;
    parts.push(
      files.length === 0
        ? `no ${e.backupKind} backup file to check`
        : bad.length === 0
          ? `all ${files.length} files are age-encrypted, none shows a plaintext signature`
          : `${bad.length} of ${files.length} files not encrypted as they should be: ${bad.map((f) => `${f.id} (${!f.present ? "missing" : !f.ageHeader ? "no age header" : "plaintext visible"})`).join(", ")}`,
    );
  }
  if (e.retained) {
    const pruned = evidence.events.filter((ev) => ev.type === "backup.pruned" && ev.kind === e.backupKind);
    const early = pruned.filter((ev) => ev.type === "backup.pruned" && ev.ageSpecSeconds <= ev.retentionSpecSeconds);
    const retention = evidence.spec ? retentionMs(evidence.spec, e.backupKind) : undefined;
    // Retention is applied after each scheduled backup: at the last one, nothing older than the retention may be left.
    const lastPrune = evidence.events.filter((ev) => ev.type === "backup.taken" && ev.kind === e.backupKind).at(-1)?.specT;
    const overdue = retention === undefined || lastPrune === undefined ? [] : entries.filter((b) => lastPrune * 1000 - b.takenAtSpecMs > retention);
    held &&= early.length === 0 && overdue.length === 0 && retention !== undefined;
    parts.push(
      `${pruned.length} pruned${early.length > 0 ? `, ${early.length} of them before their retention (${early.map((ev) => (ev.type === "backup.pruned" ? ev.id : "")).join(", ")})` : ", each past its retention"}; ` +
        (overdue.length > 0 ? `${overdue.length} kept past retention (${overdue.map((b) => b.id).join(", ")})` : `every one kept was within ${retention === undefined ? "?" : `${retention / 3_600_000} h`} at the last backup`),
    );
  }
  return { held, evidence: parts.join("; ") };
}

function retentionMs(spec: DeploymentSpec, kind: BackupKind): number {
  return retentionOf(spec.backup)[kind];
}

/** The backups of a kind in the store at wall second `t` of the run: taken before it, not pruned before it. */
function inStoreAt(evidence: Evidence, kind: BackupKind, t: number): Array<{ takenAtSpecMs: number }> {
  const pruned = new Set(evidence.events.filter((ev) => ev.type === "backup.pruned" && ev.kind === kind && ev.t < t).map((ev) => (ev.type === "backup.pruned" ? ev.id : "")));
  return evidence.events.flatMap((ev) => (ev.type === "backup.taken" && ev.kind === kind && ev.t < t && !pruned.has(ev.id) ? [{ takenAtSpecMs: ev.takenAtSpecSeconds * 1000 }] : []));
}

function minutes(ms: number): string {
  return `${Math.round(ms / 6000) / 10} min`;
}

export const backups = {
  describe: (e) =>
    [
      e.count ? `${e.count.op === "==" ? "exactly " : ""}${e.count.text} ${e.backupKind} backups are kept` : "",
      e.encrypted ? `every ${e.backupKind} backup is encrypted at rest` : "",
      e.retained ? `retention prunes exactly the ${e.backupKind} backups past it` : "",
    ]
      .filter(Boolean)
      .join(", and "),
  judge: judgeBackups,
} satisfies ExpectationKind<"backups">;
