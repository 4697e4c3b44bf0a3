import { HarnessError } from "../../common/errors.js";

/** Words in a context's name or its server's address that say production. */
const PRODUCTION = /prod|prd/i;

/** Why a context looks like production (its name or its API server's host), or undefined when nothing suggests it. */
export function productionSign(context: string, server: string): string | undefined {
  if (PRODUCTION.test(context)) return `its name "${context}" suggests production`;
  let host = server;
  try {
    host = new URL(server).hostname;
  } catch {
    // Not a URL: the whole string is judged.
  }
  if (PRODUCTION.test(host)) return `its API server ${host} suggests production`;
  return undefined;
}

/**
 * A game day injects faults: the harness refuses a context that looks like
 * production unless the operator named that very context with
 * --allow-context (a flag for another context does not count).
 */
export function checkContext(context: string, server: string, allowed: string | undefined): void {
  const sign = productionSign(context, server);
  if (!sign || allowed === context) return;
  throw new HarnessError("USAGE", `refusing kubeconfig context "${context}": ${sign}, and a game day deploys failing versions and injects faults`, {
    hint: allowed === undefined ? `if this cluster is meant for it, say so: --allow-context ${context}` : `--allow-context names "${allowed}", not "${context}"; pass --allow-context ${context} to allow this one`,
  });
}
