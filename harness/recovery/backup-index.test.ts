import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type BackupEntry, type Retention, expiredEntries, INDEX_FILE, nextId, readIndex, writeIndex } from "./backup-index.js";

const DAY = 86_400_000;
const retention: Retention = { database: 30 * DAY, "application-data": 90 * DAY, configuration: 365 * DAY };

function entry(id: string, kind: BackupEntry["kind"], takenAtSpecMs: number): BackupEntry {
  return { id, kind, file: `${id}.age`, sha256: "a".repeat(64), bytes: 10, takenAt: "2026-12-01T00:00:00.000Z", takenAtSpecMs, encrypted: true, recipient: "age1xyz" };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "gameday-index-"));
  dirs.push(d);
  return d;
}

describe("retention", () => {
  const taken = 5 * DAY;
  const db = entry("0001-database", "database", taken);

  it("keeps a backup exactly as old as the retention and prunes it one millisecond later", () => {
    expect(expiredEntries([db], taken + 30 * DAY - 1, retention)).toEqual([]);
    expect(expiredEntries([db], taken + 30 * DAY, retention)).toEqual([]);
    expect(expiredEntries([db], taken + 30 * DAY + 1, retention)).toEqual([db]);
  });

  it("applies each kind's own retention", () => {
    const data = entry("0002-application-data", "application-data", taken);
    const conf = entry("0003-configuration", "configuration", taken);
    const now = taken + 91 * DAY;
    expect(expiredEntries([db, data, conf], now, retention).map((e) => e.id)).toEqual(["0001-database", "0002-application-data"]);
  });

  it("prunes exactly the backups older than the retention out of an hourly series", () => {
    const hourly = Array.from({ length: 24 * 40 }, (_, i) => entry(`${String(i + 1).padStart(4, "0")}-database`, "database", (i + 1) * 3_600_000));
    const now = 40 * DAY;
    const expired = expiredEntries(hourly, now, retention);
    // Taken at hour h; expired when 40 d - h h > 30 d, i.e. h < 240: hours 1..239.
    expect(expired).toHaveLength(239);
    expect(expired.at(-1)!.takenAtSpecMs).toBe(239 * 3_600_000);
    expect(hourly.filter((e) => !expired.includes(e))[0]!.takenAtSpecMs).toBe(10 * DAY);
  });
});

describe("index.json", () => {
  it("round-trips every field and reads a folder without one as empty", async () => {
    const dir = await tempDir();
    expect(await readIndex(dir, "run-1")).toEqual({ schemaVersion: 1, runId: "run-1", entries: [] });
    const index = { schemaVersion: 1 as const, runId: "run-1", entries: [entry("0001-database", "database", 1000), entry("0002-configuration", "configuration", 2000)] };
    await writeIndex(dir, index);
    expect(await readIndex(dir, "run-1")).toEqual(index);
    // Written through a temporary file renamed into place: nothing else is left in the folder.
    expect(await readdir(dir)).toEqual([INDEX_FILE]);
    expect(JSON.parse(await readFile(join(dir, INDEX_FILE), "utf8"))).toEqual(index);
  });

  it("refuses an index that is not JSON or not an index, with BACKUP_INVALID naming the file", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, INDEX_FILE), "{ half");
    await expect(readIndex(dir, "r")).rejects.toMatchObject({ code: "BACKUP_INVALID", message: expect.stringContaining(join(dir, INDEX_FILE)) });
    await writeFile(join(dir, INDEX_FILE), JSON.stringify({ schemaVersion: 1, runId: "r", entries: [{ id: "x" }] }));
    await expect(readIndex(dir, "r")).rejects.toMatchObject({ code: "BACKUP_INVALID", message: expect.stringContaining("entries.0.id") });
  });

  it("numbers backups in the order taken, never reusing a pruned number", () => {
    expect(nextId([], "database", 0)).toBe("0001-database");
    expect(nextId([entry("0007-database", "database", 0)], "configuration", 0)).toBe("0008-configuration");
    expect(nextId([], "database", 12)).toBe("0013-database");
  });
});
