import type { Readable } from "node:stream";
import { drain } from "../common/command-stream.js";
import { systemClock, type Clock } from "../common/clock.js";
import type { Database } from "../platforms/platform.js";
import { DB } from "../platforms/postgres.js";
import type { Sink } from "../timeline/events.js";
import type { BackupEntry, BackupStore, Inspect, TakenAt } from "./backup-store.js";

/**
 * The database's backups are PostgreSQL's own tools run inside its container
 * (the image has them, at the server's version): `pg_dump -Fc` streams the
 * custom-format archive out, `pg_restore` reads one in. Over the local socket
 * as the database's owner.
 */
const connect = (db: Database) => ["--username", DB.user, "--dbname", db.name];

/** `pg_dump -Fc` of the database, streamed through age into the store. */
export function backupDatabase(db: Database, store: BackupStore, at: TakenAt): Promise<BackupEntry> {
  return store.put("database", (into) => db.exec(["pg_dump", "--format=custom", ...connect(db)], { stdout: into }), at);
}

/**
 * The application's data as the application sees it: the `evaluations` rows
 * as CSV with a header, gzip-compressed (the document's application_data
 * backup has `compression: true`), then encrypted like every backup.
 */
export function backupApplicationData(db: Database, store: BackupStore, at: TakenAt): Promise<BackupEntry> {
  const copy = `psql --no-psqlrc --quiet --username ${DB.user} --dbname ${db.name} --command '\\copy evaluations to stdout with (format csv, header)'`;
  return store.put("application-data", (into) => db.exec(["bash", "-o", "pipefail", "-c", `${copy} | gzip -c`], { stdout: into }), at);
}

/**
 * A backup's plaintext is a database archive when `pg_restore --list` reads
 * its table of contents, run in `db`'s container (any running PostgreSQL of
 * the same version will do).
 */
export function pgRestoreList(db: Database): Inspect {
  return async (plaintext: Readable) => {
    const list = db.exec(["pg_restore", "--list"], { stdin: plaintext });
    await Promise.all([drain(list.stdout), list.done]);
  };
}

export interface Restored {
  readonly entry: BackupEntry;
  /** Wall seconds of the restore itself (after the backup was chosen and verified). */
  readonly seconds: number;
  /** Wall seconds spent choosing and verifying the backup. */
  readonly verifySeconds: number;
}

/**
 * Restore the newest valid database backup (see BackupStore.newestValid) into
 * `db`, a fresh PostgreSQL: decrypted as a stream straight into `pg_restore
 * --no-owner` in one transaction, so a restore that fails leaves nothing
 * half-done; `--clean --if-exists` replaces whatever the database already
 * has of the same objects (a service may have migrated an empty table into
 * it already).
 */
export async function restoreDatabase(
  db: Database,
  store: BackupStore,
  options: { emit: Sink; clock?: Clock; takenBeforeSpecMs?: number; dbname?: string },
): Promise<Restored> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const entry = await store.newestValid("database", pgRestoreList(db), options.takenBeforeSpecMs !== undefined ? { takenBeforeSpecMs: options.takenBeforeSpecMs } : {});
  const verified = clock.now();
  const into = ["--username", DB.user, "--dbname", options.dbname ?? db.name];
  // age writes the plaintext straight into pg_restore's input pipe: it goes through no other process.
  const restore = db.exec(["pg_restore", "--no-owner", "--clean", "--if-exists", "--single-transaction", ...into], { stdin: "pipe" });
  const plain = store.decrypt(entry, restore.stdin);
  restore.stdin!.destroy();
  const settled = await Promise.allSettled([plain.done, restore.done, drain(restore.stdout)]);
  // age's verdict first: a damaged file makes pg_restore fail too, for a less clear reason.
  for (const s of settled) if (s.status === "rejected") throw s.reason;
  const seconds = (clock.now() - verified) / 1000;
  options.emit({ type: "backup.restored", id: entry.id, kind: entry.kind, bytes: entry.bytes, seconds, takenAtSpecSeconds: entry.takenAtSpecMs / 1000 });
  return { entry, seconds, verifySeconds: (verified - started) / 1000 };
}

