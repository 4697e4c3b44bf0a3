import { HarnessError, errorMessage, isHarnessError } from "./errors.js";
import { exec } from "./exec.js";
import { ROOT } from "./paths.js";

const ensured = new Map<string, Promise<void>>();

/**
 * Make sure a tool the harness runs is there, once per process: scripts/tools.sh
 * installs it from Debian's packages or builds it with `go install` on first
 * use. A failure is TOOL_MISSING with the caller's hint (how to get it).
 */
export function ensureTool(tool: string, options: { hint: string; signal?: AbortSignal }): Promise<void> {
  let pending = ensured.get(tool);
  if (!pending) {
    pending = exec("bash", [`${ROOT}scripts/tools.sh`, tool], { signal: options.signal, hint: options.hint }).then(
      () => undefined,
      (e: unknown) => {
        ensured.delete(tool);
        if (isHarnessError(e) && e.code === "INTERRUPTED") throw e;
        throw new HarnessError("TOOL_MISSING", `${tool} is not installed and could not be installed or built: ${errorMessage(e)}`, { hint: options.hint, cause: e });
      },
    );
    ensured.set(tool, pending);
  }
  return pending;
}
