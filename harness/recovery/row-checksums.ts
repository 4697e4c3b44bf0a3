import { createHash } from "node:crypto";
import pg from "pg";
import { HarnessError } from "../common/errors.js";

/**
 * Evidence for a restore: each row of a table by id with a checksum of the
 * whole row, read before the disaster and again after the restore. A row is
 * back when its id is there with the same checksum: every column, as
 * PostgreSQL itself prints the row.
 */
export type RowChecksums = ReadonlyMap<string, string>;

export interface RowComparison {
  /** Expected ids found with the same checksum. */
  readonly present: string[];
  /** Expected ids not found. */
  readonly missing: string[];
  /** Expected ids found with another checksum. */
  readonly changed: string[];
  /** Ids found that were not expected (writes after the expected set was read). */
  readonly extra: string[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** sha256 (hex) of a row's text. */
export function checksumRow(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * `SELECT id, <row> FROM <table> ORDER BY id` on `connectionString` (the
 * reference service's `evaluations` by default), as id → checksum. The row
 * is PostgreSQL's text of the whole composite value, read with the session
 * in UTC so timestamps print the same on any server.
 */
export async function readRowChecksums(connectionString: string, table = "evaluations"): Promise<Map<string, string>> {
  if (!IDENTIFIER.test(table)) throw new HarnessError("USAGE", `"${table}" is not a plain table name`, { hint: "lower-case letters, digits and _" });
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000, query_timeout: 30_000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query("SET TimeZone = 'UTC'");
    const result = await client.query<{ id: string; row: string }>(`SELECT t.id::text AS id, t::text AS row FROM ${table} AS t ORDER BY t.id`);
    return new Map(result.rows.map((r) => [r.id, checksumRow(r.row)]));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Which expected rows are present and identical, missing or changed in `actual`, and which rows of `actual` were not expected. Ids in ascending order. */
export function compareRows(expected: RowChecksums, actual: RowChecksums): RowComparison {
  const present: string[] = [];
  const missing: string[] = [];
  const changed: string[] = [];
  for (const [id, sum] of expected) {
    const found = actual.get(id);
    if (found === undefined) missing.push(id);
    else if (found === sum) present.push(id);
    else changed.push(id);
  }
  const extra = [...actual.keys()].filter((id) => !expected.has(id));
  const byId = (a: string, b: string) => (a.length - b.length) || (a < b ? -1 : a > b ? 1 : 0);
  return { present: present.sort(byId), missing: missing.sort(byId), changed: changed.sort(byId), extra: extra.sort(byId) };
}
