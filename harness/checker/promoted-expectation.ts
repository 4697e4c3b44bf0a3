import type { Expectation } from "../scenario/scenario.js";
import { collectShares, lastLoadServed, of, servedText, sharesText, type Evidence, type ExpectationKind, type Verdict } from "./evidence.js";

function judgePromoted(_e: Extract<Expectation, { kind: "promoted" }>, evidence: Evidence): Verdict {
  const decided = of(evidence.events, "rollback.decided")[0];
  if (decided) return { held: false, evidence: `rolled back during ${decided.stage}: ${decided.reason}` };
  const inconclusive = of(evidence.events, "stage.inconclusive")[0];
  if (inconclusive) return { held: false, evidence: `${inconclusive.stage} was inconclusive, so the promotion stopped there: ${inconclusive.reason}` };
  const final = evidence.finalShares;
  const candidateVersion = evidence.versions.get("candidate");
  const served = lastLoadServed(evidence, 2);
  const onlyCandidate = !served || Object.keys(served.versions).every((v) => v === candidateVersion);
  const routed = (final?.candidate ?? 0) === 100;
  // Right weights, but answers in the last full second from another version: timing, as for `traffic`.
  return { held: routed && onlyCandidate, evidence: `router read back: ${sharesText(final)}${servedText(served)}`, ...(routed && !onlyCandidate ? { timingOnly: true } : {}) };
}

export const promoted = {
  describe: () => "the candidate was promoted: the router sends it all traffic and no rollback happened",
  collect: (_e, sources, into) => collectShares(sources, into),
  judge: judgePromoted,
} satisfies ExpectationKind<"promoted">;
