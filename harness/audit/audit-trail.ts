import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { withDirLock } from "../common/dir-lock.js";
import { HarnessError } from "../common/errors.js";
import { STATE_DIR } from "../common/state-dir.js";
import { classOf, GENESIS, makeRecord, verifyLog, type AuditClass, type AuditRecord, type AuditType, type PruneBody, type Verification } from "./chain.js";
import { AuditKey } from "./seal.js";

/** Where the trail lives unless told otherwise (GAMEDAY_AUDIT_LOG, or --audit-log): beside the backups, apart from runs/. */
export function defaultAuditFile(): string {
  return process.env.GAMEDAY_AUDIT_LOG ?? join(STATE_DIR, "audit", "trail.jsonl");
}

export interface AuditTrailOptions {
  file?: string;
  /** The key that seals deployment logs (default: `key` beside the log, or GAMEDAY_AUDIT_KEY). */
  keyFile?: string;
  /** The classes sealed at rest (the document: deployment logs). */
  sealed?: ReadonlySet<AuditClass>;
}

/** What to append: the time defaults to now. */
export interface AuditEntry {
  type: Exclude<AuditType, "prune" | "checkpoint">;
  body: Record<string, unknown>;
  at?: Date;
}

/** A record as people read it: its content opened where it was sealed. */
export interface ReadableRecord {
  seq: number;
  at: string;
  type: AuditType;
  class: AuditClass;
  body?: Record<string, unknown>;
  pruned: boolean;
  sealed: boolean;
}

/**
 * The append-only audit trail (audit-requirements.yml), one JSON record per
 * line with a hash chain through them (chain.ts), shared by every run and
 * command on the machine. Appends take a lock (a directory), cut off a last
 * line a crash left half-written, write the record with one write and sync it
 * to disk, then note the new head in a file beside the log: a log cut short
 * from its end no longer reaches that head. A `kill -9` in the middle of an
 * append loses at most the record being written; the log still verifies.
 */
export class AuditTrail {
  readonly file: string;
  private readonly headFile: string;
  private readonly lock: string;
  private readonly keyFile: string;
  private readonly sealedClasses: ReadonlySet<AuditClass>;
  private key: AuditKey | undefined;
  /** The last record's seq and chain, and the log's size when they were read: reused while nobody else appended. */
  private tail: { size: number; seq: number; chain: string } | undefined;

  constructor(o: AuditTrailOptions = {}) {
    this.file = o.file ?? defaultAuditFile();
    this.headFile = `${this.file}.head`;
    this.lock = `${this.file}.lock`;
    this.keyFile = o.keyFile ?? process.env.GAMEDAY_AUDIT_KEY ?? join(dirname(this.file), "key");
    this.sealedClasses = o.sealed ?? new Set<AuditClass>(["deployment_logs"]);
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
  }

  /** Appends one record; returns it as written. */
  async append(entry: AuditEntry): Promise<AuditRecord> {
    return (await this.appendMany([entry]))[0]!;
  }

  /** Appends records in order with one lock, one write and one sync. */
  async appendMany(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    return withDirLock(this.lock, () => {
      const fd = openSync(this.file, "a+");
      try {
        let previous = this.lastRecord(fd);
        const records = entries.map((e) => {
          const sealed = this.sealedClasses.has(classOf(e.type));
          const r = makeRecord(previous, { at: (e.at ?? new Date()).toISOString(), type: e.type, ...(sealed ? { sealed: this.keyOf().seal(e.body) } : { body: e.body }) });
          previous = r;
          return r;
        });
        const text = Buffer.from(records.map((r) => JSON.stringify(r) + "\n").join(""), "utf8");
        writeSync(fd, text);
        fdatasyncSync(fd);
        this.tail = { size: fstatSync(fd).size, seq: previous.seq, chain: previous.chain };
        this.writeHead(previous);
        return records;
      } finally {
        closeSync(fd);
      }
    });
  }

  /** Verifies the whole log against its chain and its head file. */
  verify(): Verification {
    return verifyLog(this.text(), this.head());
  }

  /** Every record, oldest first, with sealed content opened (where the key is at hand). */
  read(): ReadableRecord[] {
    const lines = this.text().split("\n");
    lines.pop(); // the part after the last newline: empty, or a torn record
    return lines.map((l) => {
      const r = JSON.parse(l) as AuditRecord;
      const body = r.sealed !== undefined ? this.keyOf().open(r.sealed) : r.body;
      return { seq: r.seq, at: r.at, type: r.type, class: r.class, ...(body ? { body } : {}), pruned: r.pruned === true, sealed: r.sealed !== undefined };
    });
  }

  /**
   * Applies the retention: a record older than its class's retention at `now`
   * becomes a tombstone; the tombstones (and earlier prune records) at the
   * start fold into one checkpoint; a prune record says what was done. Never
   * touches a record younger than its retention. Refuses a log that does not
   * verify (pruning would hide what was done to it). Written to a new file and
   * renamed over the old, so a crash leaves one or the other.
   */
  async prune(now: Date, retentionDays: Partial<Record<AuditClass, number>>): Promise<PruneBody> {
    return withDirLock(this.lock, () => {
      const text = this.text();
      const v = verifyLog(text, this.head());
      if (!v.ok) {
        throw new HarnessError("AUDIT_INVALID", `the audit trail ${this.file} does not verify (line ${v.firstBad!.line}: ${v.firstBad!.reason}); pruning it would hide that`, {
          hint: "find out what happened to it first (npm run audit -- verify); keep the file as evidence",
        });
      }
      const cutoffs: Partial<Record<AuditClass, string>> = {};
      for (const [c, days] of Object.entries(retentionDays) as Array<[AuditClass, number]>) cutoffs[c] = new Date(now.getTime() - days * 86_400_000).toISOString();
      const lines = text.split("\n");
      lines.pop();
      let records = lines.map((l) => JSON.parse(l) as AuditRecord);
      let dropped = 0;
      records = records.map((r) => {
        const cutoff = cutoffs[r.class];
        if (r.pruned || r.type === "checkpoint" || r.type === "prune" || cutoff === undefined || !(r.at < cutoff)) return r;
        dropped++;
        return { v: r.v, seq: r.seq, at: r.at, type: r.type, class: r.class, pruned: true, leaf: r.leaf, chain: r.chain };
      });
      // Fold the start: the old checkpoint, then every tombstone and prune record up to the first record still whole.
      let folded = 0;
      while (folded < records.length && (records[folded]!.type === "checkpoint" || records[folded]!.pruned || records[folded]!.type === "prune")) folded++;
      // The last record stays: the prune record chains after it.
      if (folded === records.length && folded > 0) folded--;
      let checkpoint = records[0]?.type === "checkpoint" ? { seq: records[0].seq, chain: records[0].chain } : { seq: 0, chain: GENESIS };
      if (folded > 0 && records[folded - 1]!.type !== "checkpoint") {
        const last = records[folded - 1]!;
        checkpoint = { seq: last.seq, chain: last.chain };
        records = [{ v: 1, seq: last.seq, at: now.toISOString(), type: "checkpoint", class: "audit", leaf: "", chain: last.chain }, ...records.slice(folded)];
      }
      const previous = records.length > 0 ? records[records.length - 1]! : { seq: 0, chain: GENESIS };
      const body: PruneBody = { cutoffs, dropped, checkpoint };
      const prune = makeRecord(previous, { at: now.toISOString(), type: "prune", body: body as unknown as Record<string, unknown> });
      records.push(prune);
      const next = `${this.file}.pruning`;
      const fd = openSync(next, "w", 0o600);
      try {
        writeSync(fd, records.map((r) => JSON.stringify(r) + "\n").join(""));
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(next, this.file);
      this.tail = undefined;
      this.writeHead(prune);
      return body;
    });
  }

  private text(): string {
    return existsSync(this.file) ? readFileSync(this.file, "utf8") : "";
  }

  private head(): { seq: number; chain: string } | undefined {
    try {
      return JSON.parse(readFileSync(this.headFile, "utf8")) as { seq: number; chain: string };
    } catch {
      return undefined;
    }
  }

  private writeHead(r: { seq: number; chain: string }): void {
    writeFileSync(`${this.headFile}.next`, JSON.stringify({ seq: r.seq, chain: r.chain }) + "\n", { mode: 0o600 });
    renameSync(`${this.headFile}.next`, this.headFile);
  }

  private keyOf(): AuditKey {
    return (this.key ??= AuditKey.atFile(this.keyFile));
  }

  /**
   * The last complete record's seq and chain, read from the end of the open
   * log; a last line a crash left without its newline is cut off first.
   */
  private lastRecord(fd: number): { seq: number; chain: string } {
    const size = fstatSync(fd).size;
    if (this.tail && this.tail.size === size) return this.tail;
    if (size === 0) return { seq: 0, chain: GENESIS };
    let window = Math.min(size, 64 * 1024);
    for (;;) {
      const buf = Buffer.alloc(window);
      readSync(fd, buf, 0, window, size - window);
      const end = buf.lastIndexOf(0x0a);
      const start = end < 0 ? -1 : buf.lastIndexOf(0x0a, end - 1);
      // The last complete line must lie wholly in the window (it starts after a newline, or at the file's start).
      if (window < size && start < 0) {
        window = Math.min(size, window * 4);
        continue;
      }
      if (end < window - 1) ftruncateSync(fd, size - window + end + 1);
      if (end < 0) return { seq: 0, chain: GENESIS };
      const r = JSON.parse(buf.subarray(start + 1, end).toString("utf8")) as AuditRecord;
      return { seq: r.seq, chain: r.chain };
    }
  }
}
