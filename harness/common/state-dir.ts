import { join } from "node:path";
import { ROOT } from "./paths.js";

/**
 * The one folder for stores that outlive a run (backups and their keys, later
 * the audit trail and run history): `<ROOT>/.state/`. It is apart from `runs/`
 * and `.cache/` so that removing a run folder or a cache never takes a backup
 * with it; `npm run clean` does not touch it.
 */
export const STATE_DIR = join(ROOT, ".state");
