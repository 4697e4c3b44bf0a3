import type { TeardownStack } from "../cleanup/teardown.js";
import { BackgroundLoop } from "../common/background-loop.js";
import type { Clock, TimeScale } from "../common/clock.js";
import { HarnessError, errorMessage } from "../common/errors.js";
import type { Database, Platform } from "../platforms/platform.js";
import type { Sink } from "../timeline/events.js";
import { changeDatabasePassword } from "./database-password.js";

export interface SecretRotationsOptions {
  /** Spec ms a secret lives before it is rotated: the document's secrets.rotation ("30d"). */
  readonly everySpecMs: number;
  /** At most this many rotations in the run (all that fall due while the steps run when left out). */
  readonly times?: number;
  readonly platform: Platform;
  /** The run's database now (a restore or a rotation replaces it). */
  readonly database: () => Database | undefined;
  /** The database under its new password, once the services have it. */
  readonly onDatabase: (database: Database) => void;
  readonly scale: TimeScale;
  readonly clock: Clock;
  readonly emit: Sink;
  readonly teardown: TeardownStack;
  readonly signal: AbortSignal;
}

/**
 * secrets-management.yml's rotation on the run's scaled clock: when the
 * secrets reach the document's age (30 days, counted from when the services came up,
 * then from the end of the last rotation), the database password is changed
 * (harness/secrets/database-password.ts) and then the cluster's encryption
 * key (the platform's rotateEncryptionKey). Each rotation is a
 * `secret.rotation.started` event, one event per part with its evidence, and
 * `secret.rotation.finished` or `secret.rotation.failed`. stop() (on the
 * run's teardown from the start) lets no new rotation begin and waits for
 * the one under way.
 */
export class SecretRotations {
  private readonly loop: BackgroundLoop;
  private done = 0;

  constructor(private readonly options: SecretRotationsOptions) {
    if (!(options.everySpecMs > 0) || !Number.isFinite(options.everySpecMs)) {
      throw new HarnessError("SPEC_INVALID", `secret rotation needs a positive period, got ${options.everySpecMs} ms`, { hint: 'the document\'s secrets.rotation is a duration like "30d"' });
    }
    if (!options.platform.kubernetes) {
      throw new HarnessError("SCENARIO_INVALID", `secret rotation rotates the cluster's encryption key: it needs the kind platform, not ${options.platform.name}`, { hint: "set platform: kind" });
    }
    this.loop = new BackgroundLoop({ title: "stop the secret rotations", teardown: options.teardown, signal: options.signal, run: (life) => this.run(life) });
  }

  /** Rotations that finished. */
  get completed(): number {
    return this.done;
  }

  start(): void {
    this.loop.start();
  }

  /** Let no rotation begin; resolves once the one under way, if any, has ended. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async run(life: AbortSignal): Promise<void> {
    const { clock, scale, everySpecMs } = this.options;
    const times = this.options.times ?? Number.POSITIVE_INFINITY;
    for (let n = 1; n <= times; n++) {
      try {
        await clock.sleep(scale.toWallMs(everySpecMs), life);
      } catch {
        return;
      }
      if (life.aborted) return;
      await this.rotate(n);
    }
  }

  private async rotate(n: number): Promise<void> {
    const { clock, emit, platform } = this.options;
    const started = clock.now();
    emit({ type: "secret.rotation.started", n, everySpecSeconds: this.options.everySpecMs / 1000 });
    try {
      const database = this.options.database();
      if (!database) throw new HarnessError("SCENARIO_INVALID", "secret rotation changes the database password, but the run has no database", { hint: "remove database: false" });
      const { database: next, change } = await changeDatabasePassword({ database, platform, clock, signal: this.options.signal });
      this.options.onDatabase(next);
      emit({
        type: "secret.password.changed",
        n,
        oldPassword: change.oldPassword,
        services: change.services,
        pods: change.pods.map((p) => ({ pod: p.pod, role: p.role, ...(p.sessionAfterMs !== undefined ? { sessionAfterSeconds: p.sessionAfterMs / 1000 } : {}) })),
        oldSessions: change.oldSessions,
      });
      const key = await platform.kubernetes!.rotateEncryptionKey();
      emit({ type: "secret.key.rotated", n, from: [...key.from], to: key.to, loadedAfterSeconds: key.loadedAfterMs / 1000, rewritten: key.rewritten });
      this.done++;
      emit({ type: "secret.rotation.finished", n, seconds: (clock.now() - started) / 1000 });
    } catch (e) {
      emit({ type: "secret.rotation.failed", n, error: errorMessage(e) });
    }
  }
}
