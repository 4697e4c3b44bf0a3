import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The project's top folder (with a trailing slash): where scenarios/, fixtures/, k8s/ and runs/ are. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The folder the user ran the command in: npm runs scripts from the project's
 * folder but says where it was started (INIT_CWD), so a relative path means
 * what the user meant.
 */
export function userDirectory(): string {
  return process.env.INIT_CWD ?? process.cwd();
}

/** Where scripts/tools.sh puts the tools it builds (vegeta, kind, Alertmanager, Mailpit...). */
export const TOOLS_BIN = join(ROOT, ".cache", "tools", "bin");
