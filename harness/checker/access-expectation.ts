import { errorMessage } from "../common/errors.js";
import type { AccessExpectation } from "../scenario/scenario.js";
import type { Collected, Evidence, EvidenceSources, ExpectationKind, Verdict } from "./evidence.js";

/** One question to the API server, the same for every expectation that asks it. */
export function accessKey(e: Pick<AccessExpectation, "as" | "verb" | "resource" | "group" | "namespace">): string {
  return `${e.as} ${e.verb} ${e.group ? `${e.group}/` : ""}${e.resource}${e.namespace ? ` in ${e.namespace}` : ""}`;
}

const what = (e: AccessExpectation) => `${e.verb} ${e.group ? `${e.group}/` : ""}${e.resource} in ${e.namespace ?? "the run's namespace"}`;

/** The API server's answer to a SubjectAccessReview, as the expectation wants it or not. */
function judgeAccess(e: AccessExpectation, evidence: Evidence): Verdict {
  const review = evidence.access?.get(accessKey(e));
  if (!review) return { held: false, evidence: `the API server was not asked whether the ${e.as}'s account may ${what(e)} (kind only)` };
  if ("error" in review) return { held: false, evidence: `the API server could not be asked whether the ${e.as}'s account may ${what(e)}: ${review.error}` };
  const answer = `${review.user} ${review.allowed ? "MAY" : "may not"} ${review.verb} ${review.group ? `${review.group}/` : ""}${review.resource} in ${review.namespace}${review.reason ? ` (${review.reason})` : ""}`;
  const held = review.allowed === e.allowed;
  return { held, evidence: `${held ? "" : "MISMATCH "}SubjectAccessReview: ${answer}; expected ${e.allowed ? "allowed" : "denied"}` };
}

async function collectAccess(e: AccessExpectation, sources: EvidenceSources, into: Collected): Promise<void> {
  into.access ??= new Map();
  const key = accessKey(e);
  if (into.access.has(key) || !sources.kubernetes) return;
  const check = { as: e.as, verb: e.verb, resource: e.resource, ...(e.group ? { group: e.group } : {}), ...(e.namespace ? { namespace: e.namespace } : {}) };
  into.access.set(key, await sources.kubernetes.reviewAccess(check).catch((err: unknown) => ({ error: errorMessage(err) })));
}

export const access = {
  describe: (e) => `the ${e.as === "service" ? "reference service's" : "harness's"} ServiceAccount ${e.allowed ? "may" : "may not"} ${what(e)} (access_control: rbac)`,
  collect: collectAccess,
  judge: judgeAccess,
} satisfies ExpectationKind<"access">;

