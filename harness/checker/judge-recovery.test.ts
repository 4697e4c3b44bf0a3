import { describe, expect, it } from "vitest";
import { evidenceOf } from "../../test/support/evidence.js";
import type { BackupEntry } from "../recovery/backup-store.js";
import type { RecoveryEvidence } from "../recovery/drill.js";
import type { Expectation } from "../scenario/scenario.js";
import { judge } from "./checker.js";

const MIN = 60_000;

function backup(id: string, takenAtSpecMs: number, kind: BackupEntry["kind"] = "database"): BackupEntry {
  return { id, kind, file: `${id}.age`, sha256: "0".repeat(64), bytes: 100, takenAt: "2026-12-01T00:00:00.000Z", takenAtSpecMs, encrypted: true };
}

/**
 * A drill: writes 1..n acknowledged one spec minute apart (write i at minute i),
 * the backup at minute 60, the disaster at minute 90, the restore at minute 100,
 * the first write after it at minute 105. `restored` holds the ids back with their checksum.
 */
function drill(o: { writes?: number; restored?: Map<string, string>; before?: Map<string, string>; firstWrite?: number | null; backupAt?: number } = {}): RecoveryEvidence {
  const n = o.writes ?? 89;
  const ids = Array.from({ length: n }, (_, i) => String(i + 1));
  const before = o.before ?? new Map(ids.map((id) => [id, `sum-${id}`]));
  const at = o.backupAt ?? 60;
  const restored = o.restored ?? new Map(ids.filter((id) => Number(id) < at).map((id) => [id, `sum-${id}`]));
  return {
    writes: ids.map((id) => ({ id, sentWallMs: 0, ackWallMs: 0 })),
    ackSpecMs: ids.map((id) => Number(id) * MIN),
    disaster: { what: "the database container and its volume destroyed", specMs: 90 * MIN },
    before,
    restore: { backup: backup("0002-database", at * MIN), into: "new-server", rows: restored, specMs: 100 * MIN },
    ...(o.firstWrite === null ? {} : { firstWriteSpecMs: (o.firstWrite ?? 105) * MIN }),
    backups: [backup("0001-database", 0), backup("0002-database", at * MIN)],
    files: [
      { id: "0001-database", kind: "database", present: true, ageHeader: true, plaintext: false },
      { id: "0002-database", kind: "database", present: true, ageHeader: true, plaintext: false },
    ],
  };
}

const judged = (e: Expectation, recovery?: RecoveryEvidence) => judge(e, { ...evidenceOf([]), ...(recovery ? { recovery } : {}) });
const restored = (rowsLost = 0): Expectation => ({ id: "restored", kind: "restored", rowsLost });

describe("judge: restored", () => {
  it("holds when every write acknowledged before the backup point is back with its checksum, and reports the write gap", () => {
    const j = judged(restored(), drill());
    expect(j.held).toBe(true);
    // Writes at minutes 1..59 are before the backup at 60; 60..89 are the gap (the one at 60 exactly is not before it).
    expect(j.evidence).toBe("59 writes acknowledged before backup 0002-database (taken at spec 1h): 59 back and identical; write gap: 30 acknowledged between the backup and the disaster (0 of them in the backup anyway); 59 rows restored into a new server");
  });

  it("counts a missing row and a changed row as lost, naming them", () => {
    const rows = new Map([...Array.from({ length: 59 }, (_, i) => [String(i + 1), `sum-${i + 1}`] as [string, string])]);
    rows.delete("7");
    rows.set("12", "another checksum");
    const j = judged(restored(), drill({ restored: rows }));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("59 writes acknowledged before backup 0002-database (taken at spec 1h): 57 back and identical; 1 missing (7); 1 changed (12)");
    expect(judged(restored(2), drill({ restored: rows })).held).toBe(true);
    expect(judged(restored(1), drill({ restored: rows })).held).toBe(false);
  });

  it("does not count gap writes that are missing, and notes those the backup held anyway", () => {
    const rows = new Map(Array.from({ length: 62 }, (_, i) => [String(i + 1), `sum-${i + 1}`] as [string, string]));
    const j = judged(restored(), drill({ restored: rows }));
    expect(j.held).toBe(true);
    expect(j.evidence).toContain("write gap: 30 acknowledged between the backup and the disaster (3 of them in the backup anyway)");
  });

  it("is not held when no write was acknowledged before the backup point: nothing shows what came back", () => {
    const j = judged(restored(), drill({ backupAt: 0.5 }));
    expect(j).toMatchObject({ held: false, evidence: expect.stringMatching(/^no write was acknowledged before backup 0002-database/) });
  });

  it("is not held without a disaster or without a restore", () => {
    expect(judged(restored()).evidence).toBe("no disaster happened in the run");
    const { restore: _restore, ...noRestore } = drill();
    expect(judged(restored(), noRestore)).toMatchObject({ held: false, evidence: expect.stringMatching(/^no restore followed the disaster/) });
  });
});

describe("judge: rpo and rto", () => {
  const rpo = (text: string, op: "<" | "<=", ms: number): Expectation => ({ id: "rpo", kind: "rpo", bound: { op, ms, text } });
  const rto = (text: string, op: "<" | "<=", ms: number): Expectation => ({ id: "rto", kind: "rto", bound: { op, ms, text } });

  it("RPO is the spec time from the restored backup to the disaster; <= holds at the bound, < does not", () => {
    expect(judged(rpo("<=30m", "<=", 30 * MIN), drill())).toMatchObject({ held: true, evidence: "RPO 30m (spec): backup 0002-database taken at 1h, the disaster at 1h30m; bound <=30m" });
    expect(judged(rpo("<30m", "<", 30 * MIN), drill()).held).toBe(false);
    expect(judged(rpo("<=29m", "<=", 29 * MIN), drill()).held).toBe(false);
  });

  it("RTO is the spec time from the disaster to the first write after it", () => {
    expect(judged(rto("<=15m", "<=", 15 * MIN), drill())).toMatchObject({ held: true, evidence: expect.stringMatching(/^RTO 15m \(spec\): the disaster at 1h30m, restored at 1h40m, the first write after it acknowledged at 1h45m/) });
    expect(judged(rto("<15m", "<", 15 * MIN), drill()).held).toBe(false);
  });

  it("RTO is not held when no write succeeded after the disaster", () => {
    expect(judged(rto("<=1h", "<=", 60 * MIN), drill({ firstWrite: null }))).toMatchObject({ held: false, evidence: expect.stringMatching(/^no write sent after the disaster/) });
  });
});

describe("judge: backups", () => {
  const backups = (count?: { op: "==" | ">=" | "<="; value: number; text: string }, encrypted?: true): Expectation => ({
    id: "backups",
    kind: "backups",
    backupKind: "database",
    ...(count ? { count } : {}),
    ...(encrypted ? { encrypted } : {}),
  });

  it("counts the backups of the kind in the store: exactly, or against a bound", () => {
    expect(judged(backups({ op: "==", value: 2, text: "2" }), drill()).held).toBe(true);
    expect(judged(backups({ op: "==", value: 3, text: "3" }), drill())).toMatchObject({ held: false, evidence: "2 database backups in the store (taken from spec 0 min to 60 min), expected exactly 3" });
    expect(judged(backups({ op: ">=", value: 2, text: ">=2" }), drill()).held).toBe(true);
    expect(judged(backups({ op: "<=", value: 1, text: "<=1" }), drill()).held).toBe(false);
  });

  it("is encrypted only when every file has age's header and shows no plaintext", () => {
    expect(judged(backups(undefined, true), drill())).toMatchObject({ held: true, evidence: "all 2 files are age-encrypted, none shows a plaintext signature" });
    const leaky = drill();
    const files = [leaky.files[0]!, { ...leaky.files[1]!, ageHeader: false, plaintext: true }];
    expect(judged(backups(undefined, true), { ...leaky, files })).toMatchObject({ held: false, evidence: "1 of 2 files not encrypted as they should be: 0002-database (no age header)" });
    expect(judged(backups(undefined, true), { ...leaky, files: [] }).held).toBe(false);
  });
});
