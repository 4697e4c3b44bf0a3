import { z } from "zod";
import { defineFault } from "./fault.js";
import { instanceFault, requireOperation } from "./instance-operation.js";

/**
 * A crash loop on one instance of a role: its process is killed (SIGKILL)
 * each time the platform brings it back, for as long as the fault lasts
 * (`for`, or until an undo step). The restarts are the platform's own, with
 * its own back-off: on kind the kubelet (10 s doubling, the pod shows
 * CrashLoopBackOff), on Docker the restart policy the fault gives the
 * container (100 ms doubling). Each restart is on the timeline
 * (instance.restarted), for the `restarts` expectation.
 */
export const crashLoop = defineFault({
  type: "crash-loop",
  summary: "one instance of a role killed each time the platform restarts it (kind: CrashLoopBackOff; Docker: its restart policy's back-off) until undone",
  schema: z.object({ type: z.literal("crash-loop"), role: z.string().min(1), instance: z.number().int().min(0).default(0) }).strict(),
  platforms: ["docker", "kind"],
  operation: "crashLoopInstance",
  needsDatabase: false,
  roles: (spec) => [spec.role],
  create: (spec, target) => {
    const crashLoopInstance = requireOperation(target, "crashLoopInstance", "crash-loop");
    return instanceFault({ name: "crash-loop", role: spec.role, instance: spec.instance, target, apply: () => crashLoopInstance(spec.role, spec.instance) });
  },
});
