import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { filterThrough } from "../../harness/common/command-stream.js";
import type { TimelineEvent } from "../../harness/timeline/events.js";
import type { Retention } from "../../harness/recovery/backup-index.js";
import { ensureAge } from "../../harness/recovery/age.js";
import { BackupStore, type BackupSource } from "../../harness/recovery/backup-store.js";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("backup-store", 0.3); // pg_dump and age

// The store with the real age (Debian's package, installed by scripts/test.sh before this project runs), no Docker.
const DAY = 86_400_000;
const retention: Retention = { database: 30 * DAY, "application-data": 90 * DAY, configuration: 365 * DAY };
const dirs: string[] = [];
// On a fresh machine the first use installs age from Debian's packages: longer than a unit test's timeout.
beforeAll(() => ensureAge(), 180_000);
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function open(runId = "run-a", stateDir?: string) {
  const state = stateDir ?? (await mkdtemp(join(tmpdir(), "gameday-state-")));
  if (!stateDir) dirs.push(state);
  const events: TimelineEvent[] = [];
  const store = await BackupStore.open({ runId, retention, emit: (e) => void events.push(e), stateDir: state });
  return { store, events, state };
}

/** A real command (the shell's cat) writing `data` straight into age's stdin pipe, as pg_dump in its container does; `fail`: it exits 1 after. */
function source(data: Buffer, fail = false): BackupSource {
  const script = fail ? "cat; echo 'pg_dump: error: connection to server lost' >&2; exit 1" : "cat";
  return (into) => filterThrough("bash", ["-c", script], Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { stdout: into });
}
async function plaintextOf(store: BackupStore, entry: Parameters<BackupStore["decrypt"]>[0]): Promise<Buffer> {
  const plain = store.decrypt(entry);
  const chunks: Buffer[] = [];
  for await (const c of plain.stdout) chunks.push(c as Buffer);
  await plain.done;
  return Buffer.concat(chunks);
}
const at = (specMs: number) => ({ wallMs: Date.parse("2026-12-01T10:00:00Z") + specMs / 1000, specMs });

describe("backup store", () => {
  it("encrypts at rest: the file is age's, not the plaintext, and decrypts back with the run's key (0600)", async () => {
    const { store, events, state } = await open();
    const data = Buffer.concat([Buffer.from("PGDMP"), randomBytes(200_000)]);
    const entry = await store.put("database", source(data), at(3_600_000));
    const file = await readFile(store.pathOf(entry));
    expect(file.subarray(0, 21).toString()).toBe("age-encryption.org/v1");
    expect(file.includes(data.subarray(0, 64))).toBe(false);
    expect(entry).toMatchObject({ id: "0001-database", kind: "database", encrypted: true, bytes: file.length, takenAtSpecMs: 3_600_000, recipient: store.key.recipient });
    expect(await plaintextOf(store, entry)).toEqual(data);
    expect((await stat(store.key.identityFile)).mode & 0o777).toBe(0o600);
    expect(store.key.identityFile).toBe(join(state, "keys", "run-a.txt"));
    expect(store.dir).toBe(join(state, "backups", "run-a"));
    expect(events).toEqual([expect.objectContaining({ type: "backup.taken", id: "0001-database", bytes: file.length, sha256: entry.sha256 })]);
  });

  it("keeps its index across opens, with the same key", async () => {
    const first = await open("run-b");
    const entry = await first.store.put("configuration", source(Buffer.from("a: 1\n".repeat(300))), at(1000));
    const again = await open("run-b", first.state);
    expect(again.store.entries()).toEqual([entry]);
    expect(again.store.key).toEqual(first.store.key);
    expect((await plaintextOf(again.store, entry)).toString()).toBe("a: 1\n".repeat(300));
  });

  it("stores nothing when the source command fails", async () => {
    const { store } = await open();
    await expect(store.put("database", source(randomBytes(5000), true), at(0))).rejects.toThrow(/exited with 1:\n.*connection to server lost/);
    expect(store.entries()).toEqual([]);
    expect((await readdir(store.dir)).filter((f) => f !== "index.json")).toEqual([]);
  });

  it("prunes what is older than the retention, keeps the rest, and says so", async () => {
    const { store, events } = await open();
    const old = await store.put("database", source(randomBytes(2000)), at(0));
    const kept = await store.put("database", source(randomBytes(2000)), at(DAY));
    const removed = await store.prune(31 * DAY);
    expect(removed).toEqual([old]);
    expect(store.entries()).toEqual([kept]);
    await expect(stat(store.pathOf(old))).rejects.toMatchObject({ code: "ENOENT" });
    expect(events.filter((e) => e.type === "backup.pruned")).toEqual([
      { type: "backup.pruned", id: old.id, kind: "database", ageSpecSeconds: 31 * 86_400, retentionSpecSeconds: 30 * 86_400 },
    ]);
    expect(await store.prune(31 * DAY)).toEqual([]);
  });

  it("newestValid skips a truncated newest backup with an event and returns the one before", async () => {
    const { store, events } = await open();
    const older = await store.put("database", source(randomBytes(150_000)), at(0));
    const newer = await store.put("database", source(randomBytes(150_000)), at(3_600_000));
    await truncate(store.pathOf(newer), Math.floor(newer.bytes / 2));
    expect(await store.newestValid("database")).toEqual(older);
    const skipped = events.filter((e) => e.type === "backup.skipped");
    expect(skipped).toEqual([{ type: "backup.skipped", id: newer.id, kind: "database", reason: expect.stringContaining("truncated or altered") }]);
  });

  it("newestValid asks the inspection too, and fails with BACKUP_INVALID when nothing verifies", async () => {
    const { store, events } = await open();
    await store.put("database", source(Buffer.from("not an archive".repeat(100))), at(0));
    const inspect = async (plain: Readable) => {
      const head = (await plain.take(1).toArray())[0] as Buffer;
      if (!head.subarray(0, 5).equals(Buffer.from("PGDMP"))) throw new Error("input file does not appear to be a valid archive");
    };
    await expect(store.newestValid("database", inspect)).rejects.toMatchObject({ code: "BACKUP_INVALID", message: expect.stringContaining("none of the 1 database backup(s)") });
    expect(events.at(-1)).toMatchObject({ type: "backup.skipped", reason: expect.stringContaining("not a valid database backup: input file does not appear") });
    await expect(store.newestValid("configuration")).rejects.toMatchObject({ code: "BACKUP_INVALID", message: expect.stringContaining("no configuration backup") });
  });

  it("refuses a backup encrypted for another key with BACKUP_INVALID naming the file", async () => {
    const mine = await open("run-c");
    const theirs = await open("run-d", mine.state);
    const foreign = await theirs.store.put("database", source(randomBytes(3000)), at(0));
    const imported = await mine.store.importFile("database", theirs.store.pathOf(foreign), at(0));
    const error = await mine.store.verify(imported).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: "BACKUP_INVALID", message: expect.stringContaining("was encrypted for another key") });
    expect((error as Error).message).toContain(mine.store.pathOf(imported));
  });
});
