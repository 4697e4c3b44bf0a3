import type { Expectation } from "../scenario/scenario.js";
import type { Collected, Evidence, EvidenceSources, ExpectationKind, Verdict } from "./evidence.js";

function judgeHealth(e: Extract<Expectation, { kind: "health" }>, evidence: Evidence): Verdict {
  const statuses = evidence.finalHealth?.get(`${e.version} ${e.path}`) ?? [];
  if (statuses.length === 0) return { held: false, evidence: `${e.path} of ${e.version} was not probed at the end` };
  return { held: statuses.every((s) => s === e.status), evidence: `${e.version} instances answered ${statuses.map((s) => s ?? "no answer").join(", ")}` };
}

/** Every instance of the role, probed once at the end of the run. */
async function collectHealth(e: Extract<Expectation, { kind: "health" }>, sources: EvidenceSources, into: Collected): Promise<void> {
  const key = `${e.version} ${e.path}`;
  if (into.finalHealth.has(key)) return;
  const statuses: Array<number | null> = [];
  for (const i of sources.instances(e.version) ?? []) statuses.push((await sources.get(`${i.baseUrl}${e.path}`)).status);
  into.finalHealth.set(key, statuses);
}

export const health = {
  describe: (e) => `at the end, every ${e.version} instance answers ${e.path} with ${e.status}`,
  collect: collectHealth,
  judge: judgeHealth,
} satisfies ExpectationKind<"health">;
