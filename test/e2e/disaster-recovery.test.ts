import { readFileSync } from "node:fs";
import { afterAll, beforeAll } from "vitest";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STATE_DIR } from "../../harness/common/state-dir.js";
import { ScenarioFiles } from "../support/scenario-files.js";
import { cli, readEvents, readResults, runContainers, type RunEvent, passingRun } from "./cli.js";

// Disaster recovery through the real CLI on Docker: backups on the scaled clock, a disaster, a restore, and the evidence.

function backupFile(runId: string, id: string): Buffer {
  return readFileSync(join(STATE_DIR, "backups", runId, `${id}.age`));
}

describe("disaster recovery on Docker", () => {
  it("dr-pg-restore: the database is destroyed under load; the newest backup before it comes back in a fresh server, no acknowledged write lost", async () => {
    const { results, events } = await passingRun(["scenario", "dr-pg-restore"]);
    const of = (type: string) => events.filter((e) => e.type === type);
    const disaster = of("recovery.phase").find((e) => e.phase === "disaster")!;
    // Backups on the scaled clock (hourly = 18 s wall at 0.005): the one restored is the newest before the disaster.
    const before = of("backup.taken").filter((e) => e.t < disaster.t);
    expect(before.length).toBeGreaterThanOrEqual(2);
    const restored = of("backup.restored")[0]!;
    expect(restored.id).toBe(before[before.length - 1]!.id);
    // One spec hour between two backups' points in time (give or take the scheduler's latency).
    for (let i = 1; i < before.length; i++) expect(Math.abs((before[i]!.takenAtSpecSeconds as number) - (before[i - 1]!.takenAtSpecSeconds as number) - 3600)).toBeLessThan(0.05 * 3600);
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

  it("dr-logical-disaster: a truncated table; the backup before it is restored into a new database and the lost rows come back into the live table", async () => {
    const { run: r, results } = await passingRun(["scenario", "dr-logical-disaster"]);    const events = readEvents(r.runDir!);
    const disaster = events.find((e) => e.type === "recovery.phase" && e.phase === "disaster")!;
    const restored = events.find((e) => e.type === "backup.restored")!;
    // The backup restored was taken before the mistake, never after it (a later one holds the empty table).
    expect((restored.takenAtSpecSeconds as number) * 1000).toBeLessThan(disaster.specT * 1000);
    // Only one server all along: the restore went into a new database beside the live one.
    expect(events.filter((e) => e.type === "resource.started" && e.role === "database")).toHaveLength(1);
    // The live table after the copy-back holds more rows than the restored backup: the writes since the mistake stayed.
    const reads = events.filter((e) => e.type === "rows.read" && e.when === "restored").map((e) => e.rows as number);
    expect(reads).toHaveLength(2);
    expect(reads[1]!).toBeGreaterThan(reads[0]!);
    // The load never failed: a logical disaster does not take the service down.
    const finished = events.find((e) => e.type === "load.finished")!;
    expect(finished.failed).toBe(0);
    expect(await runContainers(results.runId)).toBe(0);
  }, 300_000);

  it("dr-backup-policy: a scaled day of backups, retention applied exactly, a truncated and a foreign backup passed over by the restore", async () => {
    const { run: r, results } = await passingRun(["scenario", "dr-backup-policy"]);    const events = readEvents(r.runDir!);
    // Each pruned backup was past its retention of 6.5 h, and in the day each by less than an hour more
    // (hourly backups, pruned at the next one; after the disaster backups fail for a while, so prunes come later).
    const dayEnd = events.find((e) => e.type === "step.started" && e.step === "truncated")!.t;
    const pruned = events.filter((e) => e.type === "backup.pruned" && e.kind === "database" && e.t < dayEnd);
    expect(pruned.length).toBeGreaterThanOrEqual(17);
    for (const p of pruned) {
      expect(p.retentionSpecSeconds).toBe(6.5 * 3600);
      expect(p.ageSpecSeconds as number).toBeGreaterThan(6.5 * 3600);
      expect(p.ageSpecSeconds as number).toBeLessThan(7.5 * 3600);
    }
    // The restore passed over the foreign backup (newest) and the truncated one, each with its reason, and used the one before.
    const skipped = events.filter((e) => e.type === "backup.skipped");
    expect(skipped.map((e) => e.reason)).toEqual([expect.stringMatching(/encrypted for another key/), expect.stringMatching(/truncated or altered/)]);
    const truncated = events.find((e) => e.type === "fault.injected" && e.fault === "backup-damage" && String(e.detail).includes("truncated"))!;
    const damagedId = /backup (\S+) truncated/.exec(String(truncated.detail))![1];
    expect(skipped[1]!.id).toBe(damagedId);
    const used = events.find((e) => e.type === "backup.restored")!;
    const taken = events.filter((e) => e.type === "backup.taken" && e.kind === "database").map((e) => e.id);
    expect(taken.indexOf(used.id as string)).toBe(taken.indexOf(damagedId!) - 1);
    // Configuration: two versions of the instance's container configuration, the second from the release.
    const configuration = events.filter((e) => e.type === "backup.taken" && e.kind === "configuration");
    expect(configuration.map((e) => [e.subject, e.version])).toEqual([
      ["stable-0/container", 1],
      ["stable-0/container", 2],
    ]);
    expect(await runContainers(results.runId)).toBe(0);
  }, 400_000);

  describe("dr-last-known-good", () => {
    const files = new ScenarioFiles();
    beforeAll(() => files.open("gameday-lkg-"));
    afterAll(() => files.close());

    it("the last known good version comes from the run's history and replaces the bad release behind the router, no request dropped", async () => {
      const r = await cli(["scenario", "dr-last-known-good"]);
      expect(r.runDir, `stderr: ${r.stderr}\nstdout: ${r.stdout}`).toBeDefined();
      const results = readResults(r.runDir!);
      for (const e of results.expectations) expect(e.held, `${e.id}: ${e.evidence}`).toBe(true);
      expect(r.code).toBe(0);
      const events = readEvents(r.runDir!);
      // The version was read from the history, with what the load saw of it, not named by the scenario.
      const recovery = events.find((e) => e.type === "action.performed" && e.action === "deploy-last-known-good")!;
      expect(recovery.detail).toMatch(/^last known good good-1 from the run's history \((\d+) requests, 0\.00% failed; erroring-1 was live\)/);
      expect(Number(/\((\d+) requests/.exec(String(recovery.detail))![1])).toBeGreaterThanOrEqual(50);
      expect(recovery.detail).toMatch(/one at a time behind the router, each drained first and readmitted once ready/);
      // Every request of the run was answered by the service (none by the router alone, none unanswered).
      expect(events.filter((e) => e.type === "load.second" && e.version === "(none)")).toEqual([]);
      const dropped = results.expectations.find((e) => e.id === "no-request-dropped")!;
      expect(dropped.evidence).toMatch(/^\d{3,} requests in seconds 0-\d+ of the load: 0 dropped/);
      expect(await runContainers(results.runId)).toBe(0);
    }, 300_000);

    it("the same switch with the load aimed at one instance, replaced in place: the dropped requests are counted and the run fails", async () => {
      const text = readFileSync(join("scenarios", "dr-last-known-good.yaml"), "utf8").replace("target: router", "target: stable");
      const r = await cli(["scenario", files.write(text, "lkg-no-router.yaml")]);
      expect(r.runDir, `stderr: ${r.stderr}\nstdout: ${r.stdout}`).toBeDefined();
      const results = readResults(r.runDir!);
      const dropped = results.expectations.find((e) => e.id === "no-request-dropped")!;
      expect(dropped.held, dropped.evidence).toBe(false);
      expect(Number(/: (\d+) dropped/.exec(dropped.evidence)![1])).toBeGreaterThan(0);
      expect(r.code).toBe(1);
      expect(await runContainers(results.runId)).toBe(0);
    }, 300_000);
  });
});
