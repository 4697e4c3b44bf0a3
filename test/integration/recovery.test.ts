import { mkdtemp, readFile, rm, truncate } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../harness/engine/docker.js";
import { DockerPlatform } from "../../harness/platforms/docker/docker-platform.js";
import type { Database } from "../../harness/platforms/platform.js";
import type { Retention } from "../../harness/recovery/backup-index.js";
import { BackupStore } from "../../harness/recovery/backup-store.js";
import { backupDatabase, restoreDatabase } from "../../harness/recovery/database-backup.js";
import { compareRows, readRowChecksums } from "../../harness/recovery/row-checksums.js";
import { testContext } from "../support/context.js";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("recovery", 0.5); // PostgreSQL, pg_dump and pg_restore

// Disaster recovery against a real PostgreSQL container: pg_dump -Fc through age into the store, the container
// and its volume destroyed, a fresh one started under the same alias, the newest valid backup pg_restored into it.
const ctx = testContext("recovery");
const platform = new DockerPlatform(ctx);
const DAY = 86_400_000;
const retention: Retention = { database: 30 * DAY, "application-data": 90 * DAY, configuration: 365 * DAY };
// The reference service's schema (fixtures/app/src/db.ts).
const MIGRATION = `CREATE TABLE IF NOT EXISTS evaluations (
  id bigserial primary key, model text not null, benchmark text not null, score double precision not null,
  created_at timestamptz not null default now(), version text not null)`;

let state: string;
let store: BackupStore;
let db: Database;
let atFirstBackup: Map<string, string>;

async function sql<T extends pg.QueryResultRow>(database: Database, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: await database.harnessUrl() });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function write(database: Database, n: number, from: number): Promise<void> {
  await sql(
    database,
    `INSERT INTO evaluations (model, benchmark, score, version)
     SELECT 'model-' || i, 'bench-' || (i % 7), i / 1000.0, 'good-1' FROM generate_series($1::int, $2::int) AS i`,
    [from, from + n - 1],
  );
}

const at = (specMs: number) => ({ wallMs: Date.now(), specMs });
const seconds = (since: number) => Math.round((performance.now() - since) / 10) / 100;

beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), "gameday-recovery-state-"));
  db = await platform.startDatabase();
  store = await BackupStore.open({ runId: ctx.runId, retention, emit: ctx.emit, stateDir: state });
  await sql(db, MIGRATION);
});
afterAll(async () => {
  await ctx.dispose();
  await rm(state, { recursive: true, force: true });
});

describe("disaster recovery with pg_dump, age and pg_restore", () => {
  it("backs up encrypted, survives the loss of the database container, and restores every row into a fresh one", async () => {
    await write(db, 500, 1);
    let t = performance.now();
    const first = await backupDatabase(db, store, at(3_600_000));
    const firstSeconds = seconds(t);
    atFirstBackup = await readRowChecksums(await db.harnessUrl());
    await write(db, 250, 501);
    t = performance.now();
    const second = await backupDatabase(db, store, at(7_200_000));
    const secondSeconds = seconds(t);
    const before = await readRowChecksums(await db.harnessUrl());
    expect(before.size).toBe(750);
    expect(store.entries("database").map((e) => e.id)).toEqual([first.id, second.id]);

    // Encrypted at rest: age's header, not PostgreSQL's custom-format magic, and pg_restore cannot read it.
    const raw = await readFile(store.pathOf(second));
    expect(raw.subarray(0, 5).toString()).not.toBe("PGDMP");
    expect(raw.subarray(0, 21).toString()).toBe("age-encryption.org/v1");
    const attempt = db.exec(["pg_restore", "--list"], { stdin: createReadStream(store.pathOf(second)) });
    attempt.stdout.resume();
    await expect(attempt.done).rejects.toMatchObject({ code: "COMMAND_FAILED", message: expect.stringMatching(/pg_restore --list.*exited with 1[\s\S]*not appear to be a valid archive/) });

    // The disaster: the container and its volume are gone.
    const oldId = (await docker().listContainers({ all: true, filters: { name: [`gameday-${ctx.runId}-db`] } }))[0]!.Id;
    t = performance.now();
    await db.destroy();
    const destroySeconds = seconds(t);
    await expect(docker().getContainer(oldId).inspect()).rejects.toMatchObject({ statusCode: 404 });

    t = performance.now();
    const fresh = await platform.startDatabase();
    const startSeconds = seconds(t);
    expect(fresh.serviceUrl).toBe(db.serviceUrl); // the same network alias: the services find it where the old one was
    expect(await sql(fresh, "SELECT to_regclass('evaluations') AS t")).toEqual([{ t: null }]);
    db = fresh;

    t = performance.now();
    const restored = await restoreDatabase(db, store, { emit: ctx.emit });
    const restoreSeconds = seconds(t);
    expect(restored.entry.id).toBe(second.id);
    const after = await readRowChecksums(await db.harnessUrl());
    expect(compareRows(before, after)).toEqual({ present: [...before.keys()], missing: [], changed: [], extra: [] });
    expect(ctx.events).toContainEqual(expect.objectContaining({ type: "backup.restored", id: second.id, kind: "database" }));
    console.log(
      `[recovery] 500 rows: backup ${firstSeconds}s (${first.bytes} B); 750 rows: backup ${secondSeconds}s (${second.bytes} B); ` +
        `destroy ${destroySeconds}s; fresh PostgreSQL ${startSeconds}s; restore ${restoreSeconds}s (verify ${restored.verifySeconds}s, pg_restore ${restored.seconds}s)`,
    );
  }, 120_000);

  it("skips a truncated newest backup with an event and restores the one before", async () => {
    const [first, second] = store.entries("database");
    await truncate(store.pathOf(second!), Math.floor(second!.bytes / 2));
    const restored = await restoreDatabase(db, store, { emit: ctx.emit });
    expect(restored.entry.id).toBe(first!.id);
    expect(ctx.events).toContainEqual({ type: "backup.skipped", id: second!.id, kind: "database", reason: expect.stringContaining("truncated or altered") });
    const after = await readRowChecksums(await db.harnessUrl());
    expect(compareRows(atFirstBackup, after)).toEqual({ present: [...atFirstBackup.keys()], missing: [], changed: [], extra: [] });
  }, 120_000);

  it("refuses a backup encrypted for another key with BACKUP_INVALID, and restores from one that is not", async () => {
    // Taken by another run with its own key: the index agrees with the file, so only decryption can tell.
    const other = await BackupStore.open({ runId: `${ctx.runId}-other`, retention, emit: () => undefined, stateDir: state });
    const foreign = await backupDatabase(db, other, at(0));
    const imported = await store.importFile("database", other.pathOf(foreign), at(10_800_000));
    await expect(store.verify(imported)).rejects.toMatchObject({
      code: "BACKUP_INVALID",
      message: expect.stringContaining(`backup ${store.pathOf(imported)} was encrypted for another key`),
    });
    const restored = await restoreDatabase(db, store, { emit: ctx.emit });
    expect(restored.entry.id).not.toBe(imported.id);
    expect(ctx.events).toContainEqual({ type: "backup.skipped", id: imported.id, kind: "database", reason: expect.stringContaining("encrypted for another key") });
  }, 120_000);
});
