import { HarnessError } from "../common/errors.js";
import type { InstanceFault, OperationName, Operations } from "../platforms/platform.js";
import type { Fault, FaultTarget } from "./fault.js";

/** The platform's operation a fault works through, or a USAGE error naming the platform that lacks it. */
export function requireOperation<K extends OperationName>(target: FaultTarget, name: K, fault: string): NonNullable<Operations[K]> {
  const operation = target.platform.operations[name];
  if (!operation) {
    throw new HarnessError("USAGE", `the ${fault} fault is not implemented on the ${target.platform.name} platform`, { hint: "run the scenario with --platform docker or --platform kind" });
  }
  return operation.bind(target.platform.operations) as NonNullable<Operations[K]>;
}

/**
 * A fault on one instance of a role that a platform operation puts in place
 * and hands back its own undo (see appliedFault).
 */
export function instanceFault(o: { name: string; role: string; instance: number; target: FaultTarget; apply: () => Promise<InstanceFault> }): Fault {
  if (!o.target.services.has(o.role)) throw new HarnessError("SCENARIO_INVALID", `fault ${o.name} names role "${o.role}", which is not deployed`);
  return appliedFault(o.name, `${o.role}-${o.instance}`, o.apply);
}

/**
 * A fault that a platform operation puts in place and hands back its own
 * undo: injected once, undone once (a second undo, as when an undo step came
 * before the end of the run, has nothing left to do; a failed one is tried again).
 */
export function appliedFault(name: string, target: string, apply: () => Promise<InstanceFault>): Fault {
  let applied: InstanceFault | undefined;
  return {
    name,
    target,
    inject: async () => {
      applied = await apply();
      return applied.detail;
    },
    undo: async () => {
      if (!applied) return;
      const found = await applied.undo();
      applied = undefined;
      return found;
    },
  };
}
