import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, open, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { HarnessError } from "../common/errors.js";
import { encrypt, ensureKey } from "./age.js";
import { Readable } from "node:stream";
import type { TeardownStack } from "../cleanup/teardown.js";
import type { Clock, TimeScale } from "../common/clock.js";
import type { BackupSpec } from "../document/deployment-types.js";
import type { BackupKind } from "../model/backup-kind.js";
import type { Database } from "../platforms/platform.js";
import type { Sink } from "../timeline/events.js";
import { frequencyOf, intervalOf, retentionOf } from "./backup-policy.js";
import { BackupSchedule } from "./backup-schedule.js";
import { BackupStore, type BackupEntry, type TakenAt } from "./backup-store.js";
import { backupApplicationData, backupDatabase } from "./database-backup.js";

import type { BackupDamage } from "../model/backup-kind.js";
export { BACKUP_DAMAGE, type BackupDamage } from "../model/backup-kind.js";

/** A stored backup file as it looks without the key. */
export interface StoredFile {
  readonly id: string;
  readonly kind: BackupKind;
  readonly present: boolean;
  /** Starts with age's header line. */
  readonly ageHeader: boolean;
  /** Shows a plaintext signature (a dump's PGDMP, gzip's magic, the CSV header). */
  readonly plaintext: boolean;
}

const AGE_HEADER = "age-encryption.org/v1\n";

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await file.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

export interface RunBackupsOptions {
  readonly runId: string;
  /** The document's `backup:` section with the scenario's overrides. */
  readonly spec: BackupSpec;
  /** The kinds the scenario backs up. */
  readonly kinds: readonly BackupKind[];
  /** The run's database now (a restore replaces it). */
  readonly database: () => Database | undefined;
  readonly scale: TimeScale;
  readonly clock: Clock;
  /** Wall time (epoch ms) the run started: backup points are spec time since then. */
  readonly originWallMs: number;
  readonly emit: Sink;
  readonly teardown: TeardownStack;
  readonly signal: AbortSignal;
  /** The state folder (tests pass their own). */
  readonly stateDir?: string;
}

/**
 * A run's backups as the document configures them: the store (encrypted,
 * under the state folder), a schedule on the scaled clock for each kind with
 * a frequency (database: `pg_dump -Fc`; application data: the rows as
 * compressed CSV), retention applied after each backup, and configuration
 * backed up on change, each change a new version.
 */
export class RunBackups {
  private readonly schedules: BackupSchedule[] = [];
  /** Per configuration subject: the sha256 of its last version and how many versions there are. */
  private readonly configurations = new Map<string, { sha256: string; version: number }>();
  private configuring: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly store: BackupStore,
    private readonly options: RunBackupsOptions,
  ) {}

  static async open(options: RunBackupsOptions): Promise<RunBackups> {
    const store = await BackupStore.open({
      runId: options.runId,
      retention: retentionOf(options.spec),
      emit: options.emit,
      clock: options.clock,
      signal: options.signal,
      ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    });
    return new RunBackups(store, options);
  }

  /** Spec milliseconds since the run started, now. */
  specNowMs(): number {
    return this.options.scale.toSpecMs(this.options.clock.now() - this.options.originWallMs);
  }

  private now(): TakenAt {
    const wallMs = this.options.clock.now();
    return { wallMs, specMs: this.options.scale.toSpecMs(wallMs - this.options.originWallMs) };
  }

  /**
   * Start the scheduled backups (database, application data) of the kinds the
   * scenario backs up, as a cron job installed now: the first of each one
   * interval from now (the run's steps start now; provisioning took what it took).
   */
  start(): void {
    const slotOriginWallMs = this.options.clock.now();
    for (const kind of this.options.kinds) {
      const every = intervalOf(frequencyOf(this.options.spec, kind));
      if (every === undefined || kind === "configuration") continue;
      const schedule = new BackupSchedule({
        kind,
        everySpecMs: every,
        scale: this.options.scale,
        clock: this.options.clock,
        originWallMs: this.options.originWallMs,
        slotOriginWallMs,
        take: (at) => this.take(kind, at),
        prune: (nowSpecMs) => this.store.prune(nowSpecMs),
        emit: this.options.emit,
        teardown: this.options.teardown,
        signal: this.options.signal,
      });
      schedule.start();
      this.schedules.push(schedule);
    }
  }

  /** One backup of a scheduled kind now (off schedule). */
  take(kind: Exclude<BackupKind, "configuration">, at: TakenAt = this.now()): Promise<BackupEntry> {
    const db = this.options.database();
    if (!db) return Promise.reject(new Error(`no database to back up (${kind})`));
    return kind === "database" ? backupDatabase(db, this.store, at) : backupApplicationData(db, this.store, at);
  }

  /**
   * Configuration the run applied (a manifest, a component's file): backed up
   * when the scenario backs up configuration and it differs from the last
   * version of the same subject, as a new version. Backups of configuration
   * are taken one at a time, in the order they were recorded.
   */
  recordConfiguration(subject: string, content: string): Promise<void> {
    if (!this.options.kinds.includes("configuration")) return Promise.resolve();
    const sha256 = createHash("sha256").update(content).digest("hex");
    const last = this.configurations.get(subject);
    if (last?.sha256 === sha256) return Promise.resolve();
    const version = (last?.version ?? 0) + 1;
    this.configurations.set(subject, { sha256, version });
    const at = this.now();
    const next = this.configuring.then(async () => {
      await this.store.put("configuration", Readable.from([Buffer.from(content)]), at, { subject, version });
      await this.store.prune(this.specNowMs());
    });
    this.configuring = next.catch(() => undefined);
    return next;
  }

  /**
   * How each stored file looks to someone without the key: an age file
   * starts with age's header line, and none shows the plaintext's signature
   * (a custom-format dump starts with PGDMP, gzip with 1f 8b, CSV with its header).
   */
  async inspectFiles(): Promise<StoredFile[]> {
    const out: StoredFile[] = [];
    for (const e of this.store.entries()) {
      const head = await readHead(this.store.pathOf(e), 4096).catch(() => undefined);
      out.push({
        id: e.id,
        kind: e.kind,
        present: head !== undefined,
        ageHeader: head?.subarray(0, AGE_HEADER.length).toString("latin1") === AGE_HEADER,
        plaintext: head !== undefined && (head.includes("PGDMP") || (head[0] === 0x1f && head[1] === 0x8b) || head.includes("id,model")),
      });
    }
    return out;
  }

  /**
   * Damage the store the way real backups get damaged, to prove a restore
   * notices: `truncate` cuts the newest database backup to half its size,
   * `corrupt` overwrites bytes in its middle, `foreign-key` adds a newer
   * database backup (the newest intact one's dump) encrypted for another key, as
   * when an off-site copy of another environment is mixed in.
   */
  async damage(how: BackupDamage): Promise<string> {
    await this.idle();
    const newest = this.store.entries("database").at(-1);
    if (!newest) throw new HarnessError("SCENARIO_INVALID", "there is no database backup to damage yet", { hint: "let the schedule take one first: damage it in a later step" });
    if (how === "foreign-key") {
      const dir = await mkdtemp(join(tmpdir(), "gameday-foreign-"));
      try {
        // The newest backup's dump, sealed for a key of another environment: a real archive this run cannot open.
        const other = await ensureKey(join(dir, "other-key.txt"), this.options.signal);
        const source = await this.newestIntact();
        const plain = this.store.decrypt(source);
        const sealed = encrypt(plain.stdout, other.recipient, this.options.signal);
        await Promise.all([pipeline(sealed.stdout, createWriteStream(join(dir, "foreign.age"))), sealed.done, plain.done]);
        const entry = await this.store.importFile("database", join(dir, "foreign.age"), this.now());
        return `backup ${entry.id} added: the dump of ${source.id}, encrypted for another key (${other.recipient.slice(0, 16)}…)`;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    const path = this.store.pathOf(newest);
    if (how === "truncate") {
      await truncate(path, Math.floor(newest.bytes / 2));
      return `backup ${newest.id} truncated to ${Math.floor(newest.bytes / 2)} of ${newest.bytes} bytes`;
    }
    const file = await open(path, "r+");
    try {
      const at = Math.floor(newest.bytes / 2);
      await file.write(Buffer.alloc(Math.min(64, newest.bytes - at), 0x5a), 0, undefined, at);
    } finally {
      await file.close();
    }
    return `backup ${newest.id}: 64 bytes overwritten at offset ${Math.floor(newest.bytes / 2)}`;
  }

  /** The newest database backup whose file is intact and decrypts (checked quietly: this is not a restore). */
  private async newestIntact(): Promise<BackupEntry> {
    for (const entry of this.store.entries("database").slice().reverse()) {
      if (await this.store.verify(entry).then(() => true, () => false)) return entry;
    }
    throw new HarnessError("SCENARIO_INVALID", "no intact database backup to copy for a foreign-key backup");
  }

  /** Resolves once no backup is under way (a drill's disaster then falls between two backups, never inside one). */
  async idle(): Promise<void> {
    await Promise.all(this.schedules.map((s) => s.idle()));
    await this.configuring;
  }

  /** Stop the schedules, waiting for backups under way. */
  async stop(): Promise<void> {
    await Promise.all(this.schedules.map((s) => s.stop()));
    await this.configuring;
  }
}
