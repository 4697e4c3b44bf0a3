import type { Judgement } from "../checker/checker.js";
import type { PipelineResults } from "../report/results.js";
import type { PipelineExpectation } from "../scenario/scenario.js";

/** The whole pipeline in one line: its outcome and each stage's status. */
export function pipelineSummary(p: PipelineResults): string {
  const stages = p.stages.map((s) => `${s.environment} ${s.status}`).join(", ");
  return `outcome ${p.outcome}${p.stoppedAt ? ` at ${p.stoppedAt}` : ""} (${p.reason}); stages: ${stages}`;
}

/**
 * A pipeline expectation against what the pipeline did. A stage that was
 * inconclusive (the machine saturated) makes an expectation it fails
 * inconclusive rather than failed: the release was not judged.
 */
export function judgePipeline(e: PipelineExpectation, p: PipelineResults): Judgement {
  const description = e.description ?? describe(e);
  const base = { id: e.id, description };
  const verdict = e.kind === "gate" ? judgeGate(e, p) : judgeOutcome(e, p);
  const undecided = p.stages.find((s) => s.status === "inconclusive");
  return { ...base, ...verdict, ...(!verdict.held && undecided ? { inconclusive: `the ${undecided.environment} stage was inconclusive: ${undecided.reason}` } : {}) };
}

function judgeOutcome(e: Extract<PipelineExpectation, { kind: "pipeline" }>, p: PipelineResults): { held: boolean; evidence: string } {
  const misses: string[] = [];
  if (e.outcome && p.outcome !== e.outcome) misses.push(`outcome ${p.outcome}, not ${e.outcome}`);
  if (e.stoppedAt && p.stoppedAt !== e.stoppedAt) misses.push(p.stoppedAt ? `stopped at ${p.stoppedAt}, not ${e.stoppedAt}` : `did not stop at ${e.stoppedAt}`);
  for (const [env, want] of Object.entries(e.stages ?? {})) {
    const got = p.stages.find((s) => s.environment === env)?.status ?? "skipped";
    if (got !== want) misses.push(`${env} ${got}, not ${want}`);
  }
  for (const env of e.untouched ?? []) {
    const ran = p.stages.find((s) => s.environment === env && s.run);
    if (ran) misses.push(`${env} was deployed to (run ${ran.run!.runId})`);
  }
  if (e.rolledBack !== undefined) {
    const rolled = p.stages.find((s) => s.rollback);
    if (e.rolledBack !== Boolean(rolled)) misses.push(rolled ? `${rolled.environment} rolled back (${rolled.rollback!.trigger})` : "no stage rolled back");
  }
  const untouched = e.untouched?.length ? `; no run deployed to ${e.untouched.join(", ")}` : "";
  const rolled = p.stages.filter((s) => s.rollback).map((s) => `; ${s.environment} rolled back by ${s.rollback!.trigger} during ${s.rollback!.stage}: ${s.rollback!.reason}`);
  const seen = `${pipelineSummary(p)}${rolled.join("")}`;
  return misses.length ? { held: false, evidence: `${misses.join("; ")}: ${seen}` } : { held: true, evidence: `${seen}${untouched}` };
}

function judgeGate(e: Extract<PipelineExpectation, { kind: "gate" }>, p: PipelineResults): { held: boolean; evidence: string } {
  const gate = p.stages.find((s) => s.environment === e.environment)?.gate;
  if (!gate) return { held: false, evidence: `the pipeline never reached the approval gate before ${e.environment}: ${pipelineSummary(p)}` };
  const given = new Set(gate.refused.map((r) => r.code));
  const missing = (e.refusals ?? []).filter((c) => !given.has(c));
  const refusals = gate.refused.map((r) => `${r.approval.by} (${r.approval.group}): ${r.code}: ${r.reason}`);
  const seen = `gate ${gate.granted ? "granted" : "refused"}: ${gate.reason}${refusals.length ? `; refused approvals: ${refusals.join("; ")}` : ""}`;
  const misses = [...(gate.granted !== e.granted ? [`the gate was ${gate.granted ? "granted" : "refused"}, not ${e.granted ? "granted" : "refused"}`] : []), ...(missing.length ? [`no approval was refused for ${missing.join(", ")}`] : [])];
  return misses.length ? { held: false, evidence: `${misses.join("; ")}: ${seen}` } : { held: true, evidence: seen };
}

function describe(e: PipelineExpectation): string {
  if (e.kind === "gate") return `the approval gate before ${e.environment} is ${e.granted ? "granted" : "refused"}${e.refusals ? `, refusing approvals for ${e.refusals.join(", ")}` : ""}`;
  const parts = [
    e.outcome ? `the pipeline ${e.outcome}` : "",
    e.stoppedAt ? `stopping at ${e.stoppedAt}` : "",
    e.stages ? `with ${Object.entries(e.stages).map(([k, v]) => `${k} ${v}`).join(", ")}` : "",
    e.untouched ? `nothing deployed to ${e.untouched.join(", ")}` : "",
    e.rolledBack !== undefined ? (e.rolledBack ? "a stage rolled back" : "no rollback") : "",
  ].filter(Boolean);
  return parts.join(", ");
}
