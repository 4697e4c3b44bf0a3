import { z } from "zod";
import { HarnessError } from "../common/errors.js";
import type { Database } from "../platforms/platform.js";
import { defineFault, type FaultTarget } from "./fault.js";

function databaseOf(target: FaultTarget, type: string): Database {
  if (!target.database) {
    throw new HarnessError("SCENARIO_INVALID", `fault ${type} needs the database, but the scenario sets database: false`, { hint: "remove database: false from the scenario" });
  }
  return target.database;
}

/** Freeze PostgreSQL (cgroup freezer): connections hang instead of failing. */
export const databasePause = defineFault({
  type: "database-pause",
  summary: "freeze PostgreSQL (docker pause): connections hang instead of failing",
  schema: z.object({ type: z.literal("database-pause") }).strict(),
  platforms: ["docker", "kind"],
  needsDatabase: true,
  roles: () => [],
  create: (_spec, target) => {
    const db = databaseOf(target, "database-pause");
    return {
      name: "database-pause",
      target: "database",
      inject: async () => {
        await db.pause();
        return "container paused (frozen)";
      },
      undo: () => db.unpause(),
    };
  },
});

/** Stop PostgreSQL: connections are refused. */
export const databaseStop = defineFault({
  type: "database-stop",
  summary: "stop PostgreSQL: connections are refused until it starts again",
  schema: z.object({ type: z.literal("database-stop") }).strict(),
  platforms: ["docker", "kind"],
  needsDatabase: true,
  roles: () => [],
  create: (_spec, target) => {
    const db = databaseOf(target, "database-stop");
    return {
      name: "database-stop",
      target: "database",
      inject: async () => {
        await db.stop();
        return "container stopped";
      },
      undo: () => db.start(),
    };
  },
});
