import { z } from "zod";
import { unknownVersion } from "../images/catalog.js";
import { defineAction, operationOf } from "./action.js";

/** `kubectl set image`: the role's instances move to another version of the reference service (on Docker: recreated); the step watches what happens. */
export const rollout = defineAction({
  type: "rollout",
  summary: "roll a role to another version of the reference service (kubectl set image); the step watches what happens",
  schema: z.object({ type: z.literal("rollout"), role: z.string().min(1), tag: z.string().regex(/^[a-z0-9][a-z0-9-]*$/).superRefine((t, ctx) => {
    const why = unknownVersion(t);
    if (why) ctx.addIssue({ code: "custom", message: why });
  }) }).strict(),
  operation: "rollout",
  platforms: ["kind", "docker", "kubernetes"],
  roles: (spec) => [spec.role],
  images: (spec) => [`app:${spec.tag}`],
  perform(spec, { platform, gate }) {
    return operationOf(this, platform, "rollout")(spec.role, spec.tag, gate ? { gate } : {});
  },
});

/** `kubectl rollout undo`: back to the previous version, and wait until that rollout is complete. */
export const rolloutUndo = defineAction({
  type: "rollout-undo",
  summary: "roll a role back to its previous version (kubectl rollout undo) and wait until it is complete",
  schema: z.object({ type: z.literal("rollout-undo"), role: z.string().min(1) }).strict(),
  operation: "rolloutUndo",
  platforms: ["kind", "docker", "kubernetes"],
  roles: (spec) => [spec.role],
  images: () => [],
  perform(spec, { platform, gate }) {
    return operationOf(this, platform, "rolloutUndo")(spec.role, gate ? { gate } : {});
  },
});

/** Delete one instance of the role (a pod); the platform replaces it. */
export const deletePod = defineAction({
  type: "delete-pod",
  summary: "delete one instance (pod) of a role; the platform replaces it (a ReplicaSet on kind, a new container on Docker)",
  schema: z.object({ type: z.literal("delete-pod"), role: z.string().min(1) }).strict(),
  operation: "deleteInstance",
  platforms: ["kind", "docker", "kubernetes"],
  roles: (spec) => [spec.role],
  images: () => [],
  perform(spec, { platform }) {
    return operationOf(this, platform, "deleteInstance")(spec.role);
  },
});
