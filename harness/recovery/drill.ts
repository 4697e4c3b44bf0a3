import { waitFor, type Clock, type TimeScale } from "../common/clock.js";
import { completed } from "../common/command-stream.js";
import { HarnessError } from "../common/errors.js";
import type { Database, Platform, Service } from "../platforms/platform.js";
import { DB } from "../platforms/postgres.js";
import { httpGet } from "../probes/http-probe.js";
import type { RecoveryPhase, Sink } from "../timeline/events.js";
import type { BackupEntry } from "./backup-store.js";
import { restoreDatabase } from "./database-backup.js";
import { readRowChecksums, type RowChecksums } from "./row-checksums.js";
import type { BackupDamage, RunBackups, StoredFile } from "./run-backups.js";
import { WriteLog, type AcknowledgedWrite } from "./write-log.js";

const TABLE = "evaluations";
/** A restored service is ready within this (wall) or the recovery failed. */
const READY_TIMEOUT_MS = 120_000;

export interface DrillOptions {
  readonly platform: Platform;
  readonly database: Database | undefined;
  readonly services: ReadonlyMap<string, Service>;
  readonly backups: RunBackups | undefined;
  readonly scale: TimeScale;
  readonly clock: Clock;
  /** Wall time (epoch ms) the run started: spec times count from it. */
  readonly originWallMs: number;
  readonly emit: Sink;
  readonly signal: AbortSignal;
}

/** Where a restore went: a fresh server (a lost database) or a new database beside the damaged one (lost data). */
export type RestoreTarget = "new-server" | "new-database";

/** What the checker judges a disaster recovery from (times in spec milliseconds since the run started). */
export interface RecoveryEvidence {
  readonly writes: readonly AcknowledgedWrite[];
  /** Spec ms of each acknowledged write's answer, in the order of `writes`. */
  readonly ackSpecMs: readonly number[];
  readonly disaster?: { readonly what: string; readonly specMs: number };
  /** The table as it was right before the disaster. */
  readonly before?: RowChecksums;
  readonly restore?: {
    readonly backup: BackupEntry;
    readonly into: RestoreTarget;
    /**
     * The table the services use after the recovery: the fresh server's, read
     * right after the restore, before any new write; or the live table once
     * the lost rows were copied back into it.
     */
    readonly rows: RowChecksums;
    readonly specMs: number;
  };
  /** The first write sent after the disaster that was acknowledged: its answer's spec ms. */
  readonly firstWriteSpecMs?: number;
  /** Backups in the store at the end of the run. */
  readonly backups: readonly BackupEntry[];
  /** Their files, as they look without the key. */
  readonly files: readonly StoredFile[];
}

/**
 * A disaster recovery drill as an operator runs it, with its evidence: the
 * load's acknowledged writes (WriteLog), the table read before the disaster
 * (the fault calls beforeDisaster()), the newest valid backup taken before
 * the disaster restored into a fresh server or a new database, the table read
 * again right after the restore, the services pointed at it and ready, and
 * the first write that succeeds afterwards. Each part is a `recovery.phase`
 * event timed from the disaster. The drill also holds the run's current
 * database: a restore into a new server replaces it.
 */
export class RecoveryDrill {
  readonly writes = new WriteLog();
  private current: Database | undefined;
  private disaster: { what: string; wallMs: number } | undefined;
  private before: RowChecksums | undefined;
  private restored: { backup: BackupEntry; into: RestoreTarget; rows: RowChecksums; wallMs: number } | undefined;
  private firstWrite: AcknowledgedWrite | undefined;

  constructor(private readonly options: DrillOptions) {
    this.current = options.database;
    this.writes.onWrite((w) => {
      if (this.restored && !this.firstWrite && this.disaster && w.sentWallMs >= this.restored.wallMs) {
        this.firstWrite = w;
        this.phase("first-write", `row ${w.id} written and acknowledged`, w.ackWallMs);
      }
    });
  }

  /** The run's database now. */
  get database(): Database | undefined {
    return this.current;
  }

  /** The same server under a new password (a secret rotation): what the backups and a restore connect with from now on. */
  credentialsChanged(database: Database): void {
    this.current = database;
  }

  private specMs(wallMs: number): number {
    return this.options.scale.toSpecMs(wallMs - this.options.originWallMs);
  }

  private phase(phase: RecoveryPhase, detail: string, atWallMs = this.options.clock.now()): void {
    const since = this.disaster ? (atWallMs - this.disaster.wallMs) / 1000 : 0;
    this.options.emit({ type: "recovery.phase", phase, sinceDisasterSeconds: Math.round(since * 1000) / 1000, detail });
  }

  private database_(): Database {
    if (!this.current) throw new HarnessError("SCENARIO_INVALID", "a disaster recovery needs the database, but the scenario sets database: false", { hint: "remove database: false" });
    return this.current;
  }

  /**
   * Read the table as it is (the evidence of what a restore must bring back),
   * then mark the disaster: call right before causing it. A backup under way
   * is let finish first.
   */
  async beforeDisaster(what: string): Promise<Database> {
    const db = this.database_();
    // A backup under way finishes first: which backups hold the data before the disaster is then beyond doubt.
    await this.options.backups?.idle();
    this.before = await readRowChecksums(await db.harnessUrl(), TABLE);
    this.options.emit({ type: "rows.read", when: "before-disaster", table: TABLE, rows: this.before.size });
    this.disaster = { what, wallMs: this.options.clock.now() };
    this.phase("disaster", what);
    return db;
  }

  /** Damage the run's backups (see RunBackups.damage). */
  damageBackups(how: BackupDamage): Promise<string> {
    if (!this.options.backups) throw new HarnessError("SCENARIO_INVALID", "there are no backups to damage: the scenario sets no backups:", { hint: "add backups: [database]" });
    return this.options.backups.damage(how);
  }

  /**
   * Restore the newest valid database backup taken before the disaster.
   * `new-server`: into a fresh PostgreSQL started as a standby, then the
   * services are pointed at it. `new-database`: into a new database on the
   * current server, then the rows the damaged table lost are copied back
   * into it (by id; rows written since stay). Either way the restored table
   * is read before any new write, and the services must be ready again.
   */
  async restore(into: RestoreTarget): Promise<string> {
    const backups = this.options.backups;
    if (!backups) throw new HarnessError("SCENARIO_INVALID", "a restore needs backups: the scenario sets no backups:", { hint: "add backups: [database] to the scenario" });
    if (!this.disaster) throw new HarnessError("SCENARIO_INVALID", "a restore-database step needs a disaster before it (a database-loss or database-truncate fault)");
    const detected = this.writes.firstFailureSince(this.disaster.wallMs);
    if (detected !== undefined) this.phase("detected", "the first request after the disaster failed", detected);
    const { emit, clock } = this.options;
    const takenBeforeSpecMs = this.specMs(this.disaster.wallMs);
    let target: Database;
    let dbname: string;
    if (into === "new-server") {
      target = await this.options.platform.startDatabase({ standby: true });
      dbname = target.name;
      this.phase("database-started", "a fresh PostgreSQL is up (a standby: the services do not reach it yet)");
    } else {
      target = this.database_();
      dbname = `${target.name}_restored`;
      await completed(target.exec(["psql", "--no-psqlrc", "--quiet", "--username", DB.user, "--dbname", target.name, "--command", `DROP DATABASE IF EXISTS ${dbname}`, "--command", `CREATE DATABASE ${dbname}`]));
      this.phase("database-started", `database ${dbname} created on the current server`);
    }
    const restored = await restoreDatabase(target, backups.store, { emit, clock, takenBeforeSpecMs, dbname });
    const url = new URL(await target.harnessUrl());
    url.pathname = `/${dbname}`;
    const rows = await readRowChecksums(url.href, TABLE);
    emit({ type: "rows.read", when: "restored", table: TABLE, rows: rows.size });
    this.phase("restored", `backup ${restored.entry.id} (taken at spec ${formatSpec(restored.entry.takenAtSpecMs)}) restored into ${into === "new-server" ? "the fresh server" : dbname}, ${rows.size} rows`);
    this.restored = { backup: restored.entry, into, rows, wallMs: clock.now() };
    let pointed: string;
    if (into === "new-server") {
      pointed = await this.options.platform.pointServicesAt(target);
      this.current = target;
    } else {
      // Rows missing from the live table come back from the restored copy; COPY leaves the id sequence alone.
      const copy = `psql --no-psqlrc --quiet --username ${DB.user} --dbname ${dbname} --command '\\copy (SELECT * FROM ${TABLE}) to stdout'`;
      const load = `psql --no-psqlrc --quiet --username ${DB.user} --dbname ${target.name} --set ON_ERROR_STOP=1 --command 'CREATE TEMP TABLE back (LIKE ${TABLE})' --command '\\copy back from pstdin' --command 'INSERT INTO ${TABLE} SELECT * FROM back WHERE id NOT IN (SELECT id FROM ${TABLE})'`;
      await completed(target.exec(["bash", "-o", "pipefail", "-c", `${copy} | ${load}`]));
      // What the service reads from now on is the live table: the rows judged are those there.
      const live = await readRowChecksums(await target.harnessUrl(), TABLE);
      emit({ type: "rows.read", when: "restored", table: TABLE, rows: live.size });
      this.restored = { ...this.restored, rows: live };
      pointed = `rows missing from ${TABLE} copied back from ${dbname} (${live.size} rows there now)`;
    }
    this.phase("service-pointed", pointed);
    await this.waitReady();
    this.phase("service-ready", "every instance answers /ready 200");
    return `${restored.entry.id} restored (${restored.entry.bytes} bytes, ${restored.seconds.toFixed(1)} s); ${pointed}`;
  }

  private async waitReady(): Promise<void> {
    const instances = [...this.options.services.values()].flatMap((s) => s.instances);
    await waitFor(async () => ((await Promise.all(instances.map((i) => httpGet(`${i.baseUrl}/ready`)))).every((o) => o.status === 200) ? true : undefined), {
      description: "every instance to answer 200 on /ready after the restore",
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 100,
      clock: this.options.clock,
      signal: this.options.signal,
      hint: "the instances' logs in the run folder's logs/ say why they cannot reach the restored database",
    });
  }

  async evidence(): Promise<RecoveryEvidence> {
    return {
      files: (await this.options.backups?.inspectFiles()) ?? [],
      writes: this.writes.writes,
      ackSpecMs: this.writes.writes.map((w) => this.specMs(w.ackWallMs)),
      ...(this.disaster ? { disaster: { what: this.disaster.what, specMs: this.specMs(this.disaster.wallMs) } } : {}),
      ...(this.before ? { before: this.before } : {}),
      ...(this.restored ? { restore: { backup: this.restored.backup, into: this.restored.into, rows: this.restored.rows, specMs: this.specMs(this.restored.wallMs) } } : {}),
      ...(this.firstWrite ? { firstWriteSpecMs: this.specMs(this.firstWrite.ackWallMs) } : {}),
      backups: this.options.backups?.store.entries() ?? [],
    };
  }
}

function formatSpec(ms: number): string {
  return `${(ms / 60_000).toFixed(1)} min`;
}
