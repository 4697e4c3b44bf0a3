import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STATE_DIR } from "../../harness/common/state-dir.js";
import { cli, readEvents, readResults, runContainers, type RunEvent } from "./cli.js";

// Disaster recovery through the real CLI on Docker: backups on the scaled clock, a disaster, a restore, and the evidence.

function backupFile(runId: string, id: string): Buffer {
  return readFileSync(join(STATE_DIR, "backups", runId, `${id}.age`));
}

describe("disaster recovery on Docker", () => {
  it("dr-pg-restore: the database is destroyed under load; the newest backup before it comes back in a fresh server, no acknowledged write lost", async () => {
    const r = await cli(["scenario", "dr-pg-restore"]);
    expect(r.runDir, `stderr: ${r.stderr}\nstdout: ${r.stdout}`).toBeDefined();
    const results = readResults(r.runDir!);
    for (const e of results.expectations) expect(e.held, `${e.id}: ${e.evidence}`).toBe(true);
    expect(r.code).toBe(0);

    const events = readEvents(r.runDir!);
    const of = (type: string) => events.filter((e) => e.type === type);
    const disaster = of("recovery.phase").find((e) => e.phase === "disaster")!;
    // Backups on the scaled clock (hourly = 18 s wall at 0.005): the one restored is the newest before the disaster.
    const before = of("backup.taken").filter((e) => e.t < disaster.t);
    expect(before.length).toBeGreaterThanOrEqual(2);
    const restored = of("backup.restored")[0]!;
    expect(restored.id).toBe(before[before.length - 1]!.id);
    // Each backup's point in time is a whole spec hour after the run's start (give or take the scheduler's latency).
    for (const b of before) expect(Math.abs((b.takenAtSpecSeconds as number) / 3600 - Math.round((b.takenAtSpecSeconds as number) / 3600))).toBeLessThan(0.05);
    // The operator's phases in order, each after the one before; the first write comes once the restore is done
    // (it may come before the drill has seen every instance ready: the services reach the new server at once).
    const phase = (name: string) => of("recovery.phase").find((e) => e.phase === name)!.sinceDisasterSeconds as number;
    const chain = ["disaster", "detected", "database-started", "restored", "service-pointed", "service-ready"].map(phase);
    expect([...chain].sort((a, b) => a - b)).toEqual(chain);
    expect(phase("first-write")).toBeGreaterThan(phase("restored"));
    // The table was read before and after; the restore brought back fewer rows than there were (the write gap).
    const reads = of("rows.read") as Array<RunEvent & { when: string; rows: number }>;
    const rowsBefore = reads.find((e) => e.when === "before-disaster")!.rows;
    const rowsRestored = reads.find((e) => e.when === "restored")!.rows;
    expect(rowsRestored).toBeGreaterThan(0);
    expect(rowsRestored).toBeLessThan(rowsBefore);
    const kept = results.expectations.find((e) => e.id === "no-acknowledged-write-lost")!;
    expect(kept.evidence).toMatch(/^\d+ writes acknowledged before backup \S+ .*: (\d+) back and identical; write gap: \d+/);
    // A fresh server: a second database container was started, and the first one removed.
    expect(of("resource.started").filter((e) => e.role === "database").map((e) => e.name)).toEqual([expect.stringMatching(/-db$/), expect.stringMatching(/-db-2$/)]);

    // At rest, each backup is an age file: its header, and no dump signature anywhere.
    for (const b of of("backup.taken")) {
      const file = backupFile(results.runId, b.id as string);
      expect(file.subarray(0, 22).toString("latin1")).toBe("age-encryption.org/v1\n");
      expect(file.includes("PGDMP")).toBe(false);
    }
    expect(await runContainers(results.runId)).toBe(0);
  }, 300_000);
});
