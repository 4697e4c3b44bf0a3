import { fileURLToPath } from "node:url";

/** The project's top folder (with a trailing slash): where scenarios/, fixtures/, k8s/ and runs/ are. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
