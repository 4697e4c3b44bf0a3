import { z } from "zod";
import { defineFault } from "./fault.js";
import { instanceFault, requireOperation } from "./instance-operation.js";

/** Peers that are parts of every run rather than versions a scenario declares. */
export const RUN_PARTS = ["database", "database-proxy", "router", "prometheus"] as const;

/**
 * One instance of a role loses its network to one peer, and only to it:
 * every packet between the two is dropped, both ways, by iptables rules in
 * the instance's own network namespace (on Docker through a privileged exec in
 * its container, on kind through nsenter on the node into the pod's
 * namespace). Silent drops, as a real partition: connections hang and time
 * out, they are not refused. The peer's addresses are taken at injection.
 * Undo removes the rules.
 */
export const partition = defineFault({
  type: "partition",
  summary: "one instance of a role loses its network to one peer (the database, another role, the router): packets both ways dropped until undone",
  schema: z
    .object({
      type: z.literal("partition"),
      role: z.string().min(1),
      instance: z.number().int().min(0).default(0),
      from: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must name a peer like "database", "router" or a role'),
    })
    .strict(),
  platforms: ["docker", "kind"],
  operation: "partitionInstance",
  needsDatabase: false,
  roles: (spec) => [spec.role, ...((RUN_PARTS as readonly string[]).includes(spec.from) ? [] : [spec.from])],
  create: (spec, target) => {
    const partitionInstance = requireOperation(target, "partitionInstance", "partition");
    return instanceFault({ name: "partition", role: spec.role, instance: spec.instance, target, apply: () => partitionInstance(spec.role, spec.instance, spec.from) });
  },
});
