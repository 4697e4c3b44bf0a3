import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { systemClock, type Clock } from "./clock.js";
import { ownerAlive, SELF, type ProcessIdentity } from "./process-identity.js";

/**
 * A lock between processes on one machine: a directory, which mkdir creates
 * atomically, holding its owner's identity. A lock whose owner is gone (or
 * whose pid now names another process) is broken, so a crashed process never
 * blocks the next; so is one that never got its owner written (its maker died
 * between the two steps). `f` runs while the lock is held and may be async.
 */
export async function withDirLock<T>(
  lock: string,
  f: () => T | Promise<T>,
  o: { clock?: Clock; signal?: AbortSignal; alive?: (owner: ProcessIdentity) => boolean } = {},
): Promise<T> {
  const clock = o.clock ?? systemClock;
  const alive = o.alive ?? ((owner: ProcessIdentity) => ownerAlive(owner, { self: true }));
  for (;;) {
    try {
      mkdirSync(lock);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = readOr(join(lock, "pid"));
      const orphan = owner === "" && Date.now() - mtimeOr(lock) > 5_000;
      if ((owner !== "" && !alive(owner)) || orphan) rmSync(lock, { recursive: true, force: true });
      else await clock.sleep(5, o.signal);
      continue;
    }
    try {
      writeFileSync(join(lock, "pid"), SELF);
      return await f();
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function mtimeOr(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}
