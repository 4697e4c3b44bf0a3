import { spawn } from "node:child_process";
import { join } from "node:path";
import { HarnessError } from "../common/errors.js";
import { ROOT } from "../common/paths.js";

/**
 * What a run needs of the machine, made ready once the command's input is
 * known to be good (a misspelt name is reported before any of this): the
 * Docker engine, installed and started by scripts/engine.sh where none
 * answers, and the load generator, built before a run starts rather than
 * in the middle of one. Their progress goes to stderr.
 */
export async function prepareMachine(o: { needsLoad: boolean; signal: AbortSignal }): Promise<void> {
  const { ensureEngine, ENGINE_HINT } = await import("../engine/docker.js");
  const answers = await ensureEngine().then(
    () => true,
    () => false,
  );
  if (!answers) {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn("bash", [join(ROOT, "scripts/engine.sh")], { stdio: ["ignore", 2, 2], signal: o.signal });
      child.on("error", reject);
      child.on("exit", (c) => resolve(c ?? 1));
    }).catch(() => 1);
    o.signal.throwIfAborted();
    if (code !== 0) throw new HarnessError("ENGINE_UNAVAILABLE", `scripts/engine.sh could not start a Docker engine (exit ${code})`, { hint: ENGINE_HINT });
    await ensureEngine();
  }
  if (o.needsLoad) {
    const { ensureVegeta } = await import("../load/vegeta-generator.js");
    await ensureVegeta(o.signal);
  }
}
