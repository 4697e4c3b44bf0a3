import type { Expectation } from "../scenario/scenario.js";
import { collectShares, lastLoadServed, servedText, sharesText, type Evidence, type ExpectationKind, type Verdict } from "./evidence.js";

function judgeTraffic(e: Extract<Expectation, { kind: "traffic" }>, evidence: Evidence): Verdict {
  const final = evidence.finalShares;
  if (!final) return { held: false, evidence: "the router's weights were not read back at the end" };
  const wrong = Object.entries(e.shares).filter(([role, share]) => Math.abs((final[role] ?? 0) - share) > 0.5);
  const weightsWrong = wrong.length > 0;
  const served = lastLoadServed(evidence, 2);
  if (served) {
    for (const [role, share] of Object.entries(e.shares)) {
      const version = evidence.versions.get(role);
      if (share === 0 && version && (served.versions[version] ?? 0) > 0) wrong.push([role, share]);
    }
  }
  // Right weights, but requests of the last full second still answered by a version that should have none: timing.
  return { held: wrong.length === 0, evidence: `router read back: ${sharesText(final)}${servedText(served)}`, ...(!weightsWrong && wrong.length > 0 ? { timingOnly: true } : {}) };
}

export const traffic = {
  describe: (e) => `the router's weights, read back at the end: ${Object.entries(e.shares).map(([k, v]) => `${k} ${v}%`).join(", ")}`,
  collect: (_e, sources, into) => collectShares(sources, into),
  judge: judgeTraffic,
} satisfies ExpectationKind<"traffic">;
