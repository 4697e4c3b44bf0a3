import { z } from "zod";
import { completed } from "../common/command-stream.js";
import { HarnessError } from "../common/errors.js";
import { DB } from "../model/database.js";
import type { RecoveryDrill } from "../recovery/drill.js";
import { BACKUP_DAMAGE } from "../model/backup-kind.js";
import { defineFault, type FaultTarget } from "./fault.js";

function drillOf(target: FaultTarget, type: string): RecoveryDrill {
  if (!target.drill?.database) {
    throw new HarnessError("SCENARIO_INVALID", `fault ${type} needs the database, but the scenario sets database: false`, { hint: "remove database: false from the scenario" });
  }
  return target.drill;
}

/**
 * The disaster of a lost server: the database container and its volume are
 * destroyed, the data with them. The table is read first (what a restore
 * must bring back). There is nothing to undo: a `restore-database` step
 * recovers, as an operator would; the run's teardown removes what is left.
 */
export const databaseLoss = defineFault({
  type: "database-loss",
  summary: "destroy the PostgreSQL container and its volume: the data is gone until a restore-database step brings it back",
  schema: z.object({ type: z.literal("database-loss") }).strict(),
  platforms: ["docker", "kind"],
  needsDatabase: true,
  roles: () => [],
  create: (_spec, target) => {
    const drill = drillOf(target, "database-loss");
    return {
      name: "database-loss",
      target: "database",
      inject: async () => {
        const db = await drill.beforeDisaster("the database container and its volume destroyed");
        await db.destroy();
        return "container and volume removed: the data is gone";
      },
      // Nothing brings lost data back but a restore; a fault schedule's undo must not pretend otherwise.
      undo: async () => undefined,
      permanent: true,
    };
  },
});

/**
 * The disaster of lost data: a table emptied by mistake (`TRUNCATE`), the
 * server still up. The table is read first. Nothing to undo: a
 * `restore-database` step with `into: new-database` brings the rows back.
 */
export const databaseTruncate = defineFault({
  type: "database-truncate",
  summary: "empty the evaluations table by mistake (TRUNCATE): the server runs on, the rows are gone until a restore brings them back",
  schema: z.object({ type: z.literal("database-truncate") }).strict(),
  platforms: ["docker", "kind"],
  needsDatabase: true,
  roles: () => [],
  create: (_spec, target) => {
    const drill = drillOf(target, "database-truncate");
    return {
      name: "database-truncate",
      target: "database",
      inject: async () => {
        const db = await drill.beforeDisaster("the evaluations table truncated by mistake");
        await completed(db.exec(["psql", "--no-psqlrc", "--quiet", "--username", DB.user, "--dbname", db.name, "--set", "ON_ERROR_STOP=1", "--command", "TRUNCATE evaluations"]));
        return "TRUNCATE evaluations";
      },
      undo: async () => undefined,
      permanent: true,
    };
  },
});

/**
 * Damage to the backups themselves (see RunBackups.damage): the newest
 * database backup truncated or corrupted, or a newer one encrypted for
 * another key. A restore must notice before it uses one (`pg_restore --list`
 * after decryption) and take the newest that verifies. Nothing to undo: the
 * damaged file stays, as it would.
 */
export const backupDamage = defineFault({
  type: "backup-damage",
  summary: "damage the newest database backup (truncate, corrupt) or add a newer one encrypted for another key (foreign-key)",
  schema: z.object({ type: z.literal("backup-damage"), how: z.enum(BACKUP_DAMAGE) }).strict(),
  platforms: ["docker", "kind"],
  needsDatabase: true,
  roles: () => [],
  create: (spec, target) => {
    const drill = drillOf(target, "backup-damage");
    return {
      name: "backup-damage",
      target: "backups",
      inject: () => drill.damageBackups(spec.how),
      undo: async () => undefined,
      permanent: true,
    };
  },
});
