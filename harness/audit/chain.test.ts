import { describe, expect, it } from "vitest";
import { canonical, chainOf, GENESIS, makeRecord, verifyLog, type AuditRecord, type AuditType, type PruneBody } from "./chain.js";

function log(n: number, type: AuditType = "deployment"): AuditRecord[] {
  const out: AuditRecord[] = [];
  let previous = { seq: 0, chain: GENESIS };
  for (let i = 0; i < n; i++) {
    const r = makeRecord(previous, { at: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(), type, body: { release: `good-${i}`, environment: "production" } });
    out.push(r);
    previous = r;
  }
  return out;
}
const text = (records: AuditRecord[]) => records.map((r) => JSON.stringify(r) + "\n").join("");

describe("the audit trail's hash chain", () => {
  it("hashes content the same whatever the order of its keys", () => {
    expect(canonical({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: "z" } })).toBe('{"a":{"c":"z","d":[1,{"x":1,"y":2}]},"b":1}');
  });

  it("verifies an untouched log and names its head", () => {
    const records = log(5);
    expect(verifyLog(text(records))).toEqual({ ok: true, records: 5, head: { seq: 5, chain: records[4]!.chain }, torn: false });
    expect(verifyLog("")).toEqual({ ok: true, records: 0, head: { seq: 0, chain: GENESIS }, torn: false });
  });

  it("names an edited record as the first bad one", () => {
    const records = log(5);
    (records[2]!.body as { release: string }).release = "evil-1";
    expect(verifyLog(text(records)).firstBad).toEqual({ line: 3, seq: 3, reason: "its content does not match its hash: the record was edited" });
  });

  it("names an edit that recomputed the record's own leaf: the chain no longer follows", () => {
    const records = log(5);
    const edited = makeRecord({ seq: 2, chain: "f".repeat(64) }, { at: records[2]!.at, type: "deployment", body: { release: "evil-1" } });
    records[2] = { ...edited, chain: records[2]!.chain };
    expect(verifyLog(text(records)).firstBad).toMatchObject({ line: 3, seq: 3, reason: expect.stringContaining("chain hash does not follow") });
  });

  it("names a deleted record by the gap it leaves", () => {
    const records = log(5);
    records.splice(1, 1);
    expect(verifyLog(text(records)).firstBad).toMatchObject({ line: 2, seq: 3, reason: expect.stringContaining("seq 3 where 2 was due") });
  });

  it("names reordered records", () => {
    const records = log(5);
    [records[1], records[2]] = [records[2]!, records[1]!];
    expect(verifyLog(text(records)).firstBad).toMatchObject({ line: 2, seq: 3 });
  });

  it("names an inserted record, even one with the right seq and its own leaf", () => {
    const records = log(5);
    const forged = makeRecord({ seq: 2, chain: "0".repeat(63) + "1" }, { at: records[2]!.at, type: "rollback", body: { reason: "forged" } });
    records.splice(2, 0, forged);
    const v = verifyLog(text(records));
    expect(v.firstBad).toMatchObject({ line: 3, seq: 3, reason: expect.stringContaining("chain hash does not follow") });
    expect(v.head.seq).toBe(2);
  });

  it("catches records cut from the end against the head written at append", () => {
    const records = log(5);
    const head = { seq: 5, chain: records[4]!.chain };
    expect(verifyLog(text(records), head).ok).toBe(true);
    expect(verifyLog(text(records.slice(0, 3)), head).firstBad).toMatchObject({ seq: 3, reason: expect.stringContaining("ends at seq 3, but seq 5 was written") });
    // The head behind the log (a crash between the record and the head): still fine.
    expect(verifyLog(text(records), { seq: 4, chain: records[3]!.chain }).ok).toBe(true);
    expect(verifyLog(text(records), { seq: 4, chain: records[2]!.chain }).firstBad?.reason).toContain("the log was rewritten");
  });

  it("leaves out a last record a crash cut short, and verifies the rest", () => {
    const records = log(4);
    const whole = text(records);
    const torn = whole + JSON.stringify(log(5)[4]).slice(0, 40);
    expect(verifyLog(torn)).toMatchObject({ ok: true, records: 4, torn: true });
    // A half line in the middle is no crash: it is damage.
    const lines = whole.split("\n");
    lines[1] = lines[1]!.slice(0, 30);
    expect(verifyLog(lines.join("\n")).firstBad).toMatchObject({ line: 2, reason: "not a JSON record" });
  });

  it("accepts tombstones and a checkpoint a prune record accounts for, and nothing else", () => {
    const records = log(6);
    const tomb = (r: AuditRecord): AuditRecord => ({ v: 1, seq: r.seq, at: r.at, type: r.type, class: r.class, pruned: true, leaf: r.leaf, chain: r.chain });
    const checkpoint: AuditRecord = { v: 1, seq: 2, at: "2027-01-01T00:00:00.000Z", type: "checkpoint", class: "audit", leaf: "", chain: records[1]!.chain };
    const kept = [checkpoint, tomb(records[2]!), ...records.slice(3)];
    const body: PruneBody = { cutoffs: { deployment_logs: records[3]!.at }, dropped: 3, checkpoint: { seq: 2, chain: records[1]!.chain } };
    const prune = makeRecord(records[5]!, { at: "2027-01-01T00:00:00.000Z", type: "prune", body: body as unknown as Record<string, unknown> });
    expect(verifyLog(text([...kept, prune]))).toMatchObject({ ok: true, records: 6, head: { seq: 7 } });
    // Without the prune record: the checkpoint and the tombstone are unexplained.
    expect(verifyLog(text(kept)).firstBad).toMatchObject({ line: 1, reason: expect.stringContaining("checkpoint no prune record names") });
    // A young record emptied: its time is after the prune's cut-off.
    const emptied = [...kept.slice(0, 2), tomb(records[3]!), ...kept.slice(3), prune];
    expect(verifyLog(text(emptied)).firstBad).toMatchObject({ line: 3, seq: 4, reason: expect.stringContaining("no prune after it had it past its retention") });
    // A checkpoint that skips ahead of what the prune named.
    const skipped = [{ ...checkpoint, seq: 3, chain: records[2]!.chain }, ...records.slice(3), prune];
    expect(verifyLog(text(skipped)).ok).toBe(false);
    expect(chainOf(GENESIS, records[0]!.leaf)).toBe(records[0]!.chain);
  });
});
