import { z } from "zod";
import { defineFault } from "./fault.js";
import { appliedFault, requireOperation } from "./instance-operation.js";

/** A worker node of the run's kind cluster, as kind names it after the cluster's name: worker, worker2, ... */
export const WORKER_NODE = z.string().regex(/^worker[1-9]?$/, { message: "must name a worker node of the cluster: worker, worker2, ... (the scenario's cluster: { workers: N })" });

/** The worker's position (1 for worker, 2 for worker2, ...): the scenario reader checks it against the cluster's workers. */
export function workerIndex(node: string): number {
  const n = /^worker([1-9]?)$/.exec(node);
  return n ? Number(n[1] || "1") : 0;
}

/**
 * `kubectl drain` of a worker node: cordoned, every pod on it but DaemonSets'
 * evicted through the Eviction API, which a PodDisruptionBudget holds back
 * until enough of its pods are healthy elsewhere; each eviction is on the
 * timeline (node.eviction) with the refusals before it. The pods go where the
 * scheduler puts them. Undone (`for`, an undo step, the end of the run):
 * uncordoned; the pods stay where they went.
 */
export const nodeDrain = defineFault({
  type: "node-drain",
  summary: "a worker node cordoned and its pods evicted as kubectl drain does, PodDisruptionBudgets respected; undone: uncordoned",
  schema: z.object({ type: z.literal("node-drain"), node: WORKER_NODE }).strict(),
  platforms: ["kind"],
  operation: "drainNode",
  needsDatabase: false,
  roles: () => [],
  create: (spec, target) => {
    const drainNode = requireOperation(target, "drainNode", "node-drain");
    return appliedFault("node-drain", spec.node, () => drainNode(spec.node));
  },
});

/**
 * A worker node lost: its container stopped at once, as a machine losing
 * power; the fault is in place once the node controller has marked the node
 * not ready. What runs there is unreachable until the node is back or its
 * pods are evicted by the taint the node controller puts on it. Undone: the
 * node started again, Ready, its pod network set up again.
 */
export const nodeDown = defineFault({
  type: "node-down",
  summary: "a worker node's container stopped at once (a machine losing power), until the node is not ready; undone: started again and Ready",
  schema: z.object({ type: z.literal("node-down"), node: WORKER_NODE }).strict(),
  platforms: ["kind"],
  operation: "stopNode",
  needsDatabase: false,
  roles: () => [],
  create: (spec, target) => {
    const stopNode = requireOperation(target, "stopNode", "node-down");
    return appliedFault("node-down", spec.node, () => stopNode(spec.node));
  },
});
