import { z } from "zod";
import { parseMemory } from "../document/deployment-schema.js";
import { defineFault } from "./fault.js";
import { instanceFault, requireOperation } from "./instance-operation.js";

const MIN_LIMIT = 16 * 2 ** 20;

/**
 * CPU stress in one instance's cgroup: stress-ng's CPU workers exec'd in its
 * container compete with the service for its CPU (on kind, for its CPU limit:
 * the container is throttled). Undo stops them.
 */
export const cpuStress = defineFault({
  type: "cpu-stress",
  summary: "stress-ng CPU workers in one instance's container (its cgroup): the service competes for CPU until undone",
  schema: z
    .object({
      type: z.literal("cpu-stress"),
      role: z.string().min(1),
      instance: z.number().int().min(0).default(0),
      workers: z.number().int().min(1).max(64).default(4),
      load: z.number().int().min(1).max(100).default(100),
    })
    .strict(),
  platforms: ["docker", "kind"],
  operation: "stressInstance",
  needsDatabase: false,
  roles: (spec) => [spec.role],
  create: (spec, target) => {
    const stressInstance = requireOperation(target, "stressInstance", "cpu-stress");
    return instanceFault({
      name: "cpu-stress",
      role: spec.role,
      instance: spec.instance,
      target,
      apply: () => stressInstance(spec.role, spec.instance, { kind: "cpu", workers: spec.workers, load: spec.load }),
    });
  },
});

/**
 * Memory pressure in one instance's cgroup, up to its limit: stress-ng holds
 * `fill` percent of the container's memory limit. At 100 (the default) the
 * limit is passed with the service's own memory and the kernel's OOM killer
 * kills the service (made its first choice): on kind the kubelet restarts
 * the container (lastState terminated, reason OOMKilled), on Docker it stays
 * down until undone. Below 100 the instance runs at the edge of its limit.
 * A pod needs a memory limit (the environments' overlays set one); the run's
 * Docker containers have none, so there the fault sets `limit` first.
 */
export const memoryPressure = defineFault({
  type: "memory-pressure",
  summary: "stress-ng holds memory up to one instance's limit (fill: 100 = OOM kill of the service) until undone",
  schema: z
    .object({
      type: z.literal("memory-pressure"),
      role: z.string().min(1),
      instance: z.number().int().min(0).default(0),
      fill: z.number().int().min(1).max(200).default(100),
      limit: z
        .string()
        .refine((t) => (parseMemory(t) ?? 0) >= MIN_LIMIT, { message: 'must be a memory quantity like "256Mi", at least 16Mi' })
        .default("256Mi"),
    })
    .strict(),
  platforms: ["docker", "kind"],
  operation: "stressInstance",
  needsDatabase: false,
  roles: (spec) => [spec.role],
  create: (spec, target) => {
    const stressInstance = requireOperation(target, "stressInstance", "memory-pressure");
    return instanceFault({
      name: "memory-pressure",
      role: spec.role,
      instance: spec.instance,
      target,
      apply: () => stressInstance(spec.role, spec.instance, { kind: "memory", fill: spec.fill, limitBytes: parseMemory(spec.limit)! }),
    });
  },
});
