import { createHash } from "node:crypto";

/**
 * The audit trail's records and their hash chain, as transparency logs keep
 * theirs: each record's `leaf` is the SHA-256 of its canonical content, and
 * its `chain` the SHA-256 of the chain before it and its leaf. A record that
 * is edited no longer matches its leaf; one deleted, inserted or moved breaks
 * the sequence numbers and the chain from there on.
 *
 * Pruning keeps the chain whole: a record past its retention becomes a
 * tombstone (its leaf and place kept, its content dropped), the tombstones at
 * the start fold into one checkpoint (the chain at that point), and a `prune`
 * record says which cut-offs it applied. A tombstone no prune record covers
 * is a record someone emptied, and verification says so.
 */

/** What the trail records. */
/** gate: an approval gate's decision (approval records, as the approvals it counted). */
export const AUDIT_TYPES = ["deployment", "approval", "gate", "promotion", "rollback", "restore", "prune", "checkpoint"] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

/** The document's record classes (audit-requirements.yml), and the trail's own bookkeeping, kept for ever. */
export type AuditClass = "deployment_logs" | "approval_records" | "audit";

export function classOf(type: AuditType): AuditClass {
  return type === "approval" || type === "gate" ? "approval_records" : type === "prune" || type === "checkpoint" ? "audit" : "deployment_logs";
}

/** One line of the log. */
export interface AuditRecord {
  v: 1;
  seq: number;
  /** ISO time it was written. */
  at: string;
  type: AuditType;
  class: AuditClass;
  /** The content, in the clear (approval records, the trail's bookkeeping). */
  body?: Record<string, unknown>;
  /** The content sealed (deployment logs are encrypted at rest): base64 of nonce, tag and ciphertext. */
  sealed?: string;
  /** Set on a tombstone: the content was dropped by a prune; leaf and place stay. */
  pruned?: true;
  leaf: string;
  chain: string;
}

/** The chain before the first record. */
export const GENESIS = "0".repeat(64);

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** JSON with object keys sorted at every depth: the same content always hashes the same. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The leaf hash: everything but the hashes themselves (and the tombstone mark, which a prune adds later). */
export function leafOf(r: Omit<AuditRecord, "leaf" | "chain" | "pruned">): string {
  return sha256(canonical({ v: r.v, seq: r.seq, at: r.at, type: r.type, class: r.class, body: r.body, sealed: r.sealed }));
}

export function chainOf(previous: string, leaf: string): string {
  return sha256(previous + leaf);
}

/** A new record after `previous` (the last record's chain and seq). */
export function makeRecord(previous: { seq: number; chain: string }, content: { at: string; type: AuditType; body?: Record<string, unknown>; sealed?: string }): AuditRecord {
  const base = { v: 1 as const, seq: previous.seq + 1, at: content.at, type: content.type, class: classOf(content.type), ...(content.body ? { body: content.body } : {}), ...(content.sealed ? { sealed: content.sealed } : {}) };
  const leaf = leafOf(base);
  return { ...base, leaf, chain: chainOf(previous.chain, leaf) };
}

/** The body of a prune record. */
export interface PruneBody {
  /** Per class, the ISO time before which records were past their retention. */
  cutoffs: Partial<Record<AuditClass, string>>;
  /** Records made tombstones by this prune. */
  dropped: number;
  /** Where the log starts now: the checkpoint's seq and chain. */
  checkpoint: { seq: number; chain: string };
}

export interface Verification {
  ok: boolean;
  /** Records read (tombstones and the checkpoint included). */
  records: number;
  /** The last good record's seq and chain. */
  head: { seq: number; chain: string };
  /** The first record that does not verify: its line (1-based), its seq where readable, and why. */
  firstBad?: { line: number; seq?: number; reason: string };
  /** The last line was cut short (a write interrupted by a crash): left out, not an error. */
  torn: boolean;
}

/**
 * Verifies the log's text. `expectHead`, where given (the head file written
 * after each append), catches records deleted from the end, which the chain
 * alone cannot: the log must reach that seq with that chain.
 */
export function verifyLog(text: string, expectHead?: { seq: number; chain: string }): Verification {
  const lines = text.split("\n");
  const last = lines.pop()!;
  // A last line with no newline is a write a crash cut short; anything else there is text after the last newline.
  const torn = last !== "";
  let head = { seq: 0, chain: GENESIS };
  const bad = (line: number, reason: string, seq?: number): Verification => ({ ok: false, records: line - 1, head, firstBad: { line, ...(seq !== undefined ? { seq } : {}), reason }, torn });
  const records: AuditRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let r: AuditRecord;
    try {
      r = JSON.parse(lines[i]!) as AuditRecord;
    } catch {
      return bad(line, "not a JSON record");
    }
    if (r === null || typeof r !== "object" || r.v !== 1 || !Number.isInteger(r.seq) || typeof r.leaf !== "string" || typeof r.chain !== "string") return bad(line, "not an audit record");
    if (r.type === "checkpoint") {
      if (i !== 0) return bad(line, "a checkpoint anywhere but on the first line", r.seq);
      head = { seq: r.seq, chain: r.chain };
      records.push(r);
      continue;
    }
    if (r.seq !== head.seq + 1) return bad(line, `seq ${r.seq} where ${head.seq + 1} was due: a record before it was deleted, or it was moved or inserted`, r.seq);
    if (!AUDIT_TYPES.includes(r.type) || r.class !== classOf(r.type)) return bad(line, `type ${String(r.type)} with class ${String(r.class)}`, r.seq);
    if (r.pruned) {
      if (r.body !== undefined || r.sealed !== undefined) return bad(line, "a tombstone that still has content", r.seq);
    } else if (leafOf(r) !== r.leaf) return bad(line, "its content does not match its hash: the record was edited", r.seq);
    if (chainOf(head.chain, r.leaf) !== r.chain) return bad(line, "its chain hash does not follow from the record before it: a record was inserted, deleted or moved", r.seq);
    head = { seq: r.seq, chain: r.chain };
    records.push(r);
  }
  // Tombstones and the checkpoint must be a prune's doing.
  const prunes = records.filter((r) => r.type === "prune" && !r.pruned).map((r) => r.body as unknown as PruneBody);
  const first = records[0];
  if (first?.type === "checkpoint" && !prunes.some((p) => p.checkpoint.seq === first.seq && p.checkpoint.chain === first.chain)) {
    return { ok: false, records: records.length, head, firstBad: { line: 1, seq: first.seq, reason: "a checkpoint no prune record names: records before it were removed" }, torn };
  }
  // From the end back, the latest cut-off any later prune applied to each class.
  const cutoff: Partial<Record<AuditClass, string>> = {};
  let firstUncovered: number | undefined;
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.type === "prune" && !r.pruned) {
      for (const [c, at] of Object.entries((r.body as unknown as PruneBody).cutoffs) as Array<[AuditClass, string]>) if (!cutoff[c] || at > cutoff[c]) cutoff[c] = at;
    }
    if (r.pruned && !(cutoff[r.class] !== undefined && r.at < cutoff[r.class]!)) firstUncovered = i;
  }
  if (firstUncovered !== undefined) {
    const r = records[firstUncovered]!;
    return { ok: false, records: records.length, head, firstBad: { line: firstUncovered + 1, seq: r.seq, reason: "its content was removed, but no prune after it had it past its retention" }, torn };
  }
  if (expectHead) {
    const at = records.find((r) => r.seq === expectHead.seq);
    const reason =
      head.seq < expectHead.seq
        ? `the log ends at seq ${head.seq}, but seq ${expectHead.seq} was written: records were deleted from its end`
        : at && at.chain !== expectHead.chain
          ? `its chain hash differs from the one the head file recorded when it was appended: the log was rewritten`
          : undefined;
    if (reason) return { ok: false, records: records.length, head, firstBad: { line: at ? records.indexOf(at) + 1 : records.length, seq: at?.seq ?? head.seq, reason }, torn };
  }
  return { ok: true, records: records.length, head, torn };
}
