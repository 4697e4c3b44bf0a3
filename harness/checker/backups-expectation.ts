import type { Expectation } from "../scenario/scenario.js";
import type { Evidence, ExpectationKind, Verdict } from "./evidence.js";

/** The backups of a kind in the store at the end of the run: their number, and that every file is age-encrypted and shows no plaintext. */
function judgeBackups(e: Extract<Expectation, { kind: "backups" }>, evidence: Evidence): Verdict {
  const r = evidence.recovery;
  if (!r) return { held: false, evidence: "the run took no backups" };
  const entries = r.backups.filter((b) => b.kind === e.backupKind);
  const files = r.files.filter((f) => f.kind === e.backupKind);
  const parts: string[] = [];
  let held = true;
  if (e.count) {
    const n = entries.length;
    const ok = e.count.op === "==" ? n === e.count.value : e.count.op === "<" ? n < e.count.value : e.count.op === "<=" ? n <= e.count.value : e.count.op === ">" ? n > e.count.value : n >= e.count.value;
    held &&= ok;
    const span = entries.length > 0 ? ` (taken from spec ${minutes(entries[0]!.takenAtSpecMs)} to ${minutes(entries[entries.length - 1]!.takenAtSpecMs)})` : "";
    parts.push(`${n} ${e.backupKind} backups in the store${span}, expected ${e.count.op === "==" ? "exactly " : ""}${e.count.text}`);
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
  return { held, evidence: parts.join("; ") };
}

function minutes(ms: number): string {
  return `${Math.round(ms / 6000) / 10} min`;
}

export const backups = {
  describe: (e) =>
    [e.count ? `${e.count.op === "==" ? "exactly " : ""}${e.count.text} ${e.backupKind} backups are kept` : "", e.encrypted ? `every ${e.backupKind} backup is encrypted at rest` : ""].filter(Boolean).join(", and "),
  judge: judgeBackups,
} satisfies ExpectationKind<"backups">;
