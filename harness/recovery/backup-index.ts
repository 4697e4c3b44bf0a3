import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { HarnessError } from "../common/errors.js";
import { BACKUP_KINDS, type BackupKind } from "../model/backup-kind.js";

/**
 * A run's backups are listed in `index.json` beside the files: what each file
 * holds, its checksum and size as written, and when it was taken in wall time
 * and in spec time (retention is spec time, like every duration of the document).
 */
export const INDEX_FILE = "index.json";
export const INDEX_SCHEMA_VERSION = 1;

const entrySchema = z.object({
  /** Unique in the store, sorts in the order taken: "0003-database". */
  id: z.string().regex(/^\d{4,}-[a-z-]+$/),
  kind: z.enum(BACKUP_KINDS),
  /** The encrypted file, relative to the store's folder. */
  file: z.string().min(1),
  /** sha256 of the encrypted file, hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  /** Wall time, ISO 8601. */
  takenAt: z.string(),
  /** Spec milliseconds since the run started. */
  takenAtSpecMs: z.number().nonnegative(),
  encrypted: z.literal(true),
  /** The age recipient it was encrypted for; absent for a file imported from elsewhere (age does not reveal it). */
  recipient: z.string().startsWith("age1").optional(),
  /** What a configuration backup holds ("router/haproxy.cfg"), and its version: 1 for the first, one more at each change. */
  subject: z.string().min(1).optional(),
  version: z.number().int().positive().optional(),
});

const indexSchema = z.object({
  schemaVersion: z.literal(INDEX_SCHEMA_VERSION),
  runId: z.string().min(1),
  entries: z.array(entrySchema),
});

export type BackupEntry = z.infer<typeof entrySchema>;
export type BackupIndex = z.infer<typeof indexSchema>;

/** The index in `dir`, or an empty one for `runId` when the folder has none yet. */
export async function readIndex(dir: string, runId: string): Promise<BackupIndex> {
  const file = join(dir, INDEX_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { schemaVersion: INDEX_SCHEMA_VERSION, runId, entries: [] };
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new HarnessError("BACKUP_INVALID", `${file} is not JSON: ${(e as Error).message}`, { hint: "the index is written atomically; a broken one was edited by hand or by another tool" });
  }
  const result = indexSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ");
    throw new HarnessError("BACKUP_INVALID", `${file} is not a backup index: ${problems}`, { hint: "the index is written atomically; a broken one was edited by hand or by another tool" });
  }
  return result.data;
}

/**
 * Write the index atomically: to a temporary file in the same folder, then
 * renamed over the old one, so a reader (or a crash) never sees half an index.
 */
export async function writeIndex(dir: string, index: BackupIndex): Promise<void> {
  const tmp = join(dir, `.${INDEX_FILE}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, JSON.stringify(indexSchema.parse(index), null, 2) + "\n", { mode: 0o600 });
    await rename(tmp, join(dir, INDEX_FILE));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Retention of each kind, in spec milliseconds. */
export type Retention = Readonly<Record<BackupKind, number>>;

/**
 * The entries past their kind's retention at spec time `nowSpecMs`. A backup
 * is kept for exactly its retention and pruned once it is strictly older: at
 * 30 days' retention, a backup 30 days old is kept, one 30 days and 1 ms old
 * goes (the document's "retention: 30d" promises 30 days, and "older than"
 * is strict like every comparison of the document).
 */
export function expiredEntries(entries: readonly BackupEntry[], nowSpecMs: number, retention: Retention): BackupEntry[] {
  return entries.filter((e) => nowSpecMs - e.takenAtSpecMs > retention[e.kind]);
}

/** The next id for a kind: a sequence over the whole store, so ids sort in the order taken. */
export function nextId(entries: readonly BackupEntry[], kind: BackupKind, everTaken: number): string {
  const last = entries.reduce((n, e) => Math.max(n, Number.parseInt(e.id, 10)), everTaken);
  return `${String(last + 1).padStart(4, "0")}-${kind}`;
}
