import pg from "pg";
import { waitFor } from "../common/clock.js";
import { drain, type CommandStream } from "../common/command-stream.js";
import { HarnessError } from "../common/errors.js";
import type { DockerPlatform } from "../platforms/docker/docker-platform.js";
import type { Database } from "../platforms/platform.js";
import { DB } from "../platforms/postgres.js";

/**
 * The dr bench's database: filled to a size in the reference service's own
 * schema, counted, and dropped and created again between restores.
 */

/** Rows per INSERT ... SELECT while filling the database. */
const BATCH = 500_000;

export const seconds = (since: number) => (performance.now() - since) / 1000;
export const mb = (bytes: number) => bytes / 1e6;

/** A command in the database's container, run to its end with its output drained. */
export async function run(command: CommandStream): Promise<void> {
  await Promise.all([drain(command.stdout), command.done]);
}

/**
 * The reference service migrates `evaluations` itself (it is ready once its
 * migration ran); the rows then come server-side, in the service's columns,
 * batch after batch until pg_database_size reaches `targetBytes`. Vacuumed
 * and frozen at the end, so no timed run pays for setting hint bits.
 */
export async function serviceSchemaDatabase(platform: DockerPlatform, db: Database, targetBytes: number, signal: AbortSignal): Promise<{ bytes: number; rows: number; fillSeconds: number }> {
  const service = await platform.deploy({ role: "stable", version: "good-1", replicas: 1, faults: {}, database: db });
  const instance = service.instances[0]!;
  await waitFor(
    async () => {
      const res = await fetch(`${instance.baseUrl}/ready`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    },
    { description: `${instance.name} to migrate its schema and answer 200 on /ready`, timeoutMs: 60_000, signal },
  );
  const client = new pg.Client({ connectionString: await db.harnessUrl() });
  await client.connect();
  try {
    const table = await client.query<{ t: string | null }>("SELECT to_regclass('evaluations')::text AS t");
    if (table.rows[0]?.t !== "evaluations") throw new HarnessError("CONTAINER_FAILED", "the reference service is ready but did not create the table evaluations");
    const t = performance.now();
    let rows = 0;
    let bytes = await databaseSize(client);
    while (bytes < targetBytes) {
      signal.throwIfAborted();
      // The service's own columns (fixtures/app/src/db.ts); model names vary so the dump is not all repetition.
      await client.query(
        `INSERT INTO evaluations (model, benchmark, score, created_at, version)
         SELECT 'model-' || (i % 97) || '-' || substr(md5(i::text), 1, 10),
                (ARRAY['mmlu', 'gsm8k', 'humaneval', 'arc', 'hellaswag', 'truthfulqa', 'winogrande'])[1 + i % 7],
                random(),
                now() - make_interval(secs => i),
                (ARRAY['good-1', 'good-2'])[1 + i % 2]
         FROM generate_series($1::bigint, $2::bigint) AS i`,
        [rows + 1, rows + BATCH],
      );
      rows += BATCH;
      bytes = await databaseSize(client);
      process.stdout.write(`filling evaluations: ${rows} rows, ${mb(bytes).toFixed(0)} MB\r`);
    }
    await client.query("VACUUM (FREEZE, ANALYZE) evaluations");
    await client.query("CHECKPOINT");
    bytes = await databaseSize(client);
    const fillSeconds = seconds(t);
    console.log(`database: ${rows} rows, ${mb(bytes).toFixed(1)} MB (pg_database_size), filled in ${fillSeconds.toFixed(1)} s`);
    return { bytes, rows, fillSeconds };
  } finally {
    await client.end();
  }
}

async function databaseSize(client: pg.Client): Promise<number> {
  const r = await client.query<{ bytes: string }>("SELECT pg_database_size(current_database())::text AS bytes");
  return Number(r.rows[0]!.bytes);
}

export async function countRows(db: Database): Promise<number> {
  const client = new pg.Client({ connectionString: await db.harnessUrl() });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>("SELECT count(*)::text AS n FROM evaluations")).rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** Drop and create the database again: each restore starts from an empty one, after a checkpoint. */
export async function freshDatabase(db: Database): Promise<void> {
  const admin = ["--username", DB.user, "--maintenance-db=postgres"];
  await run(db.exec(["dropdb", ...admin, "--if-exists", "--force", DB.name]));
  await run(db.exec(["createdb", ...admin, DB.name]));
  await run(db.exec(["psql", "--username", DB.user, "--dbname", "postgres", "--quiet", "--command=CHECKPOINT"]));
}
