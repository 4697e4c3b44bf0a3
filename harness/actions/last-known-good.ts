import { z } from "zod";
import { HarnessError } from "../common/errors.js";
import { defineAction, operationOf } from "./action.js";

/** Requests a version must have served in the run before its error rate says anything. */
export const LAST_KNOWN_GOOD_MIN_REQUESTS = 50;

/**
 * The document's application recovery ("Deploy last known good version":
 * `kubectl set image ... :v1.2.3`), with the version read from the run's
 * deployment history instead of named by hand: the newest version the role
 * ran before the current one that served enough requests without breaching
 * the rollback trigger's error rate. Rolled out behind the role's Service
 * (kind) or the router (Docker), one instance at a time, and waited for
 * until every instance is ready.
 */
export const deployLastKnownGood = defineAction({
  type: "deploy-last-known-good",
  summary: "roll a role back to its last known good version, read from the run's deployment history (kubectl set image), and wait until every instance is ready",
  schema: z
    .object({
      type: z.literal("deploy-last-known-good"),
      role: z.string().min(1),
      /** Requests a version must have served to count as known (default 50). */
      minRequests: z.number().int().min(1).optional(),
    })
    .strict(),
  operation: "rollout",
  platforms: ["kind", "docker", "kubernetes"],
  roles: (spec) => [spec.role],
  images: () => [],
  async perform(spec, { platform, history, rollback, gate }) {
    if (!history || !rollback) throw new HarnessError("INTERNAL", "deploy-last-known-good needs the run's deployment history and rollback triggers");
    const minRequests = spec.minRequests ?? LAST_KNOWN_GOOD_MIN_REQUESTS;
    const good = history.lastKnownGood(spec.role, rollback.errorRate, minRequests);
    if (!good) {
      const seen = history.of(spec.role).map((r) => `${r.version} (${r.requests} requests, ${r.failures} failed)`).join(", ");
      throw new HarnessError("ROLLOUT_FAILED", `${spec.role} has no last known good version: none before the current one served ${minRequests} requests with an error rate not ${rollback.errorRate.text}; the run's history: ${seen || "empty"}`, {
        hint: "let the load reach the good version for longer before the bad release, or lower the action's minRequests",
      });
    }
    const from = history.current(spec.role)?.version;
    const detail = await operationOf(this, platform, "rollout")(spec.role, good.version, { wait: true, ...(gate ? { gate } : {}) });
    const rate = `${(good.errorRate * 100).toFixed(2)}%`;
    return `last known good ${good.version} from the run's history (${good.requests} requests, ${rate} failed; ${from} was live); ${detail}`;
  },
});
