import { z } from "zod";
import { HarnessError } from "../common/errors.js";
import { defineAction } from "./action.js";

/**
 * The document's database recovery (`pg_restore ... backup.sql`): the newest
 * valid backup taken before the disaster, decrypted and restored into a new
 * server (`into: new-server`, after a lost database; the services are pointed
 * at it) or into a new database on the same server (`into: new-database`,
 * after lost data; the lost rows are copied back), then the services must be
 * ready. See harness/recovery/drill.ts.
 */
export const restoreDatabase = defineAction({
  type: "restore-database",
  summary: "restore the newest valid backup taken before the disaster into a new server (and point the services at it) or a new database (and copy the lost rows back)",
  schema: z.object({ type: z.literal("restore-database"), into: z.enum(["new-server", "new-database"]).optional() }).strict(),
  platforms: ["docker", "kind"],
  needsBackups: true,
  roles: () => [],
  images: () => [],
  perform(spec, { drill }) {
    if (!drill) throw new HarnessError("SCENARIO_INVALID", "restore-database needs the database, but the scenario sets database: false", { hint: "remove database: false" });
    return drill.restore(spec.into ?? "new-server");
  },
});
