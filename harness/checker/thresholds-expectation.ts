import type { Expectation } from "../scenario/scenario.js";
import { of, type Evidence, type ExpectationKind, type Verdict } from "./evidence.js";

function judgeThresholds(e: Extract<Expectation, { kind: "thresholds" }>, evidence: Evidence): Verdict {
  const finished = of(evidence.events, "load.finished");
  if (finished.length === 0) return { held: false, evidence: "the load never finished, so its thresholds were not judged" };
  const all = finished.flatMap((f) => f.thresholds);
  const failed = all.filter((t) => !t.pass);
  const text = all.map((t) => `${t.metric} ${t.expression}: ${Math.round(t.observed * 1000) / 1000} ${t.pass ? "passed" : "FAILED"}`).join("; ") || "no thresholds";
  return { held: all.length > 0 && (failed.length === 0) === e.passed, evidence: text };
}

export const thresholds = {
  describe: (e) => `the load's k6-style thresholds ${e.passed ? "all passed" : "did not all pass"}`,
  judge: judgeThresholds,
} satisfies ExpectationKind<"thresholds">;
