import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The project's top folder (with a trailing slash): where scenarios/, fixtures/, k8s/ and runs/ are. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Where scripts/tools.sh puts the tools it builds (vegeta, kind, Alertmanager, Mailpit...). */
export const TOOLS_BIN = join(ROOT, ".cache", "tools", "bin");
