import { z } from "zod";
import { HarnessError } from "../common/errors.js";
import type { KilledInstance } from "../platforms/platform.js";
import { defineFault } from "./fault.js";

/**
 * SIGKILL to one instance of a role: no graceful shutdown, what the kernel's
 * OOM killer or a node losing power does. What happens next is the platform's
 * restart policy, which is the point of the game day: kind's kubelet restarts
 * the container (a restart the `pods` expectation sees); the run's Docker
 * containers have none, so there the instance stays down until the fault is
 * undone. The platform does the killing (`Operations.killInstance`), so this
 * module knows no platform.
 */
export const kill = defineFault({
  type: "kill",
  summary: "SIGKILL to one instance of a role: kind's kubelet restarts it; on Docker it stays down until the fault is undone",
  schema: z.object({ type: z.literal("kill"), role: z.string().min(1), instance: z.number().int().min(0).default(0) }).strict(),
  platforms: ["docker", "kind"],
  operation: "killInstance",
  needsDatabase: false,
  roles: (spec) => [spec.role],
  create: (spec, target) => {
    const operations = target.platform.operations;
    if (!operations.killInstance) {
      throw new HarnessError("USAGE", `the kill fault is not implemented on the ${target.platform.name} platform`, { hint: "run the scenario with --platform docker or --platform kind" });
    }
    if (!target.services.has(spec.role)) throw new HarnessError("SCENARIO_INVALID", `fault kill names role "${spec.role}", which is not deployed`);
    let killed: KilledInstance | undefined;
    return {
      name: "kill",
      target: `${spec.role}-${spec.instance}`,
      inject: async () => {
        killed = await operations.killInstance!(spec.role, spec.instance);
        return killed.detail;
      },
      undo: async () => {
        // A second undo (an undo step, then the end of the run) has nothing left to restore; a failed one is tried again.
        if (!killed) return;
        await killed.restore();
        killed = undefined;
      },
    };
  },
});
