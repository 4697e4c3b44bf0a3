import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { systemClock, type Clock } from "../common/clock.js";
import { completed, drain, type CommandStream } from "../common/command-stream.js";
import { HarnessError, errorMessage } from "../common/errors.js";
import { STATE_DIR } from "../common/state-dir.js";
import type { BackupKind } from "../model/backup-kind.js";
import type { Sink } from "../timeline/events.js";
import { type AgeKey, decryptFile, encryptToFile, ensureKey } from "./age.js";
import { type BackupEntry, type BackupIndex, type Retention, expiredEntries, nextId, readIndex, writeIndex } from "./backup-index.js";

export type { BackupEntry, Retention } from "./backup-index.js";

export interface BackupStoreOptions {
  readonly runId: string;
  readonly retention: Retention;
  readonly emit: Sink;
  /** The state folder (default `<ROOT>/.state`); tests pass a folder of their own. */
  readonly stateDir?: string;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

/** When a backup was taken: wall milliseconds since the epoch, and spec milliseconds since the run started. */
export interface TakenAt {
  readonly wallMs: number;
  readonly specMs: number;
}

/** What a backup is made of: a command writing into the pipe it is given, or a stream. */
export type BackupSource = ((into: Writable) => CommandStream) | Readable;

/**
 * Reads the plaintext of a backup to judge it (for a database: `pg_restore
 * --list`); rejects when it is not what it should be. It may stop reading early.
 */
export type Inspect = (plaintext: Readable, entry: BackupEntry) => Promise<void>;

/**
 * A run's backups: `<state>/backups/<run-id>/`, one age-encrypted file per
 * backup and `index.json`; the run's key is `<state>/keys/<run-id>.txt`
 * (mode 0600), apart from the backups so that a copy of the backup folder
 * carries no key. Both outlive the run: `npm run clean` and a new run leave
 * them alone.
 */
export class BackupStore {
  private index: BackupIndex;
  /** Writes to the index one at a time, in order. */
  private writing: Promise<void> = Promise.resolve();
  private taken = 0;

  private constructor(
    readonly dir: string,
    readonly key: AgeKey,
    index: BackupIndex,
    private readonly options: BackupStoreOptions,
  ) {
    this.index = index;
  }

  static async open(options: BackupStoreOptions): Promise<BackupStore> {
    const state = options.stateDir ?? STATE_DIR;
    const dir = join(state, "backups", options.runId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const key = await ensureKey(join(state, "keys", `${options.runId}.txt`), options.signal);
    return new BackupStore(dir, key, await readIndex(dir, options.runId), options);
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  /** Every backup in the store, oldest first; of one kind when `kind` is given. */
  entries(kind?: BackupKind): readonly BackupEntry[] {
    return this.index.entries.filter((e) => kind === undefined || e.kind === kind);
  }

  pathOf(entry: BackupEntry): string {
    return join(this.dir, entry.file);
  }

  /**
   * Encrypt `source` into a new backup: a command whose output goes straight
   * into age (`(into) => db.exec([...], { stdout: into })`: the plaintext
   * passes from one process to the other, never through this one or onto
   * disk), or a stream piped into age. age writes a partial file, renamed
   * into place once the source exited 0 and age finished, then hashed. A
   * failure leaves no file and no index entry.
   */
  async put(kind: BackupKind, source: BackupSource, at: TakenAt, about?: { subject: string; version: number }): Promise<BackupEntry> {
    const started = this.clock.now();
    const id = nextId(this.index.entries, kind, this.taken);
    this.taken = Number.parseInt(id, 10);
    const file = `${id}.age`;
    const partial = join(this.dir, `.${file}.partial`);
    let digest: { sha256: string; bytes: number };
    try {
      const sealed = encryptToFile(this.key.recipient, partial, this.options.signal);
      let produced: Promise<void>;
      if (typeof source === "function") {
        const command = source(sealed.stdin);
        // The source command holds the pipe now; age sees its end when that command's output ends.
        sealed.stdin.destroy();
        produced = completed(command);
      } else {
        produced = pipeline(source, sealed.stdin);
      }
      await Promise.all([sealed.done, produced]);
      await chmod(partial, 0o600);
      digest = await fileDigest(partial);
      await rename(partial, join(this.dir, file));
    } catch (e) {
      await rm(partial, { force: true });
      throw e;
    }
    const { sha256, bytes } = digest;
    const entry: BackupEntry = {
      id,
      kind,
      file,
      sha256,
      bytes,
      takenAt: new Date(at.wallMs).toISOString(),
      takenAtSpecMs: at.specMs,
      encrypted: true,
      recipient: this.key.recipient,
      ...about,
    };
    await this.update((entries) => [...entries, entry]);
    this.options.emit({
      type: "backup.taken",
      id,
      kind,
      bytes,
      sha256,
      seconds: (this.clock.now() - started) / 1000,
      takenAtSpecSeconds: at.specMs / 1000,
      ...about,
    });
    return entry;
  }

  /**
   * A backup file made elsewhere (another run's store, an off-site copy)
   * joins this store as it is; like every backup, it is verified before a
   * restore uses it. Its recipient is not recorded: age does not reveal it.
   */
  async importFile(kind: BackupKind, path: string, at: TakenAt): Promise<BackupEntry> {
    const id = nextId(this.index.entries, kind, this.taken);
    this.taken = Number.parseInt(id, 10);
    const file = `${id}.age`;
    await copyFile(path, join(this.dir, file));
    const { sha256, bytes } = await fileDigest(join(this.dir, file));
    const entry: BackupEntry = { id, kind, file, sha256, bytes, takenAt: new Date(at.wallMs).toISOString(), takenAtSpecMs: at.specMs, encrypted: true };
    await this.update((entries) => [...entries, entry]);
    return entry;
  }

  /** The plaintext of a backup, decrypted as a stream with this run's key, or by age straight into `into` (another command's stdin pipe). */
  decrypt(entry: BackupEntry, into?: Writable): CommandStream {
    return decryptFile(this.pathOf(entry), this.key, this.options.signal, into);
  }

  /**
   * Check a backup end to end: its file is there with the size and sha256 the
   * index recorded, it decrypts with this run's key to the last chunk, and
   * `inspect` accepts the plaintext. Fails with BACKUP_INVALID saying why.
   */
  async verify(entry: BackupEntry, inspect?: Inspect): Promise<void> {
    const path = this.pathOf(entry);
    // The digest and the decryption read the file side by side (it is read twice, from the page cache): a
    // restore waits for its verification, and one after the other took a tenth more than a plain pg_restore
    // of a 200 MB database (npm run bench -- dr). Nothing is written anywhere until all of it has passed.
    const digesting = fileDigest(path);
    const plain = this.decrypt(entry);
    const judged = inspect ? inspect(plain.stdout, entry).finally(() => plain.stdout.resume()) : drain(plain.stdout);
    const [digested, decrypted, inspected] = await Promise.allSettled([digesting, plain.done, judged]);
    // The index's verdict first, then age's: a damaged file makes decryption and inspection fail too, for less clear reasons.
    if (digested.status === "rejected") {
      if ((digested.reason as NodeJS.ErrnoException).code === "ENOENT") throw invalid(`backup ${path} is missing`);
      throw digested.reason;
    }
    const digest = digested.value;
    if (digest.bytes !== entry.bytes || digest.sha256 !== entry.sha256) {
      throw invalid(`backup ${path} is not the file that was written: ${digest.bytes} bytes with sha256 ${digest.sha256.slice(0, 12)}…, the index recorded ${entry.bytes} bytes with ${entry.sha256.slice(0, 12)}… (truncated or altered)`);
    }
    if (decrypted.status === "rejected") throw decrypted.reason;
    if (inspected.status === "rejected") throw invalid(`backup ${path} decrypts but is not a valid ${entry.kind} backup: ${errorMessage(inspected.reason)}`, inspected.reason);
  }

  /**
   * Remove every backup past its kind's retention at spec time `nowSpecMs`
   * (kept for exactly the retention, pruned once strictly older: see
   * expiredEntries) and return what was removed, oldest first.
   */
  async prune(nowSpecMs: number): Promise<BackupEntry[]> {
    const expired = expiredEntries(this.index.entries, nowSpecMs, this.options.retention);
    if (expired.length === 0) return [];
    const gone = new Set(expired.map((e) => e.id));
    // The index first: a crash in between leaves a stray file, never an entry without its file.
    await this.update((entries) => entries.filter((e) => !gone.has(e.id)));
    for (const e of expired) {
      await rm(this.pathOf(e), { force: true });
      this.options.emit({ type: "backup.pruned", id: e.id, kind: e.kind, ageSpecSeconds: (nowSpecMs - e.takenAtSpecMs) / 1000, retentionSpecSeconds: this.options.retention[e.kind] / 1000 });
    }
    return expired;
  }

  /**
   * The newest backup of `kind` that verifies (see verify), walking from the
   * newest to the oldest (only those taken before `takenBeforeSpecMs`, when
   * given: a backup taken after a logical disaster holds the damage); each one passed over is a `backup.skipped` event
   * with the reason. Fails with BACKUP_INVALID when none verifies.
   */
  async newestValid(kind: BackupKind, inspect?: Inspect, options: { takenBeforeSpecMs?: number } = {}): Promise<BackupEntry> {
    const before = options.takenBeforeSpecMs ?? Number.POSITIVE_INFINITY;
    const candidates = this.entries(kind)
      .filter((e) => e.takenAtSpecMs < before)
      .reverse();
    const reasons: string[] = [];
    for (const entry of candidates) {
      try {
        await this.verify(entry, inspect);
        return entry;
      } catch (e) {
        if (!(e instanceof HarnessError) || e.code !== "BACKUP_INVALID") throw e;
        reasons.push(`${entry.id}: ${e.message}`);
        this.options.emit({ type: "backup.skipped", id: entry.id, kind, reason: e.message });
      }
    }
    throw invalid(
      candidates.length === 0 ? `no ${kind} backup${Number.isFinite(before) ? ` taken before spec time ${before / 1000} s` : ""} in ${this.dir}` : `none of the ${candidates.length} ${kind} backup(s) in ${this.dir} verifies:\n${reasons.map((r) => `  ${r}`).join("\n")}`,
    );
  }

  /** Change the entries and write the index atomically, one change at a time. */
  private update(change: (entries: BackupEntry[]) => BackupEntry[]): Promise<void> {
    const next = this.writing.then(async () => {
      const index = { ...this.index, entries: change(this.index.entries) };
      await writeIndex(this.dir, index);
      this.index = index;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}

function invalid(message: string, cause?: unknown): HarnessError {
  return new HarnessError("BACKUP_INVALID", message, {
    hint: "a backup that does not verify is never restored; newestValid() takes the newest one that does (each one skipped is a backup.skipped event)",
    cause,
  });
}

async function fileDigest(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return { sha256: hash.digest("hex"), bytes: (await stat(path)).size };
}

