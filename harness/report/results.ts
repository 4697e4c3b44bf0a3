import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Judgement } from "../checker/checker.js";
import type { EventOf, Verdict } from "../timeline/events.js";
import type { HeadroomLimits } from "../headroom/saturation.js";
import type { HarnessInfo } from "./harness-info.js";
import type { DoraMeasures } from "../audit/deployment-metrics.js";
import type { GateDecision } from "../approvals/approvals.js";
import type { PipelineStageStatus } from "../timeline/events.js";

/**
 * The version of results.json's layout. Raised when a field changes meaning or
 * goes away (added fields do not raise it); readers check it before reading.
 */
export const RESULTS_SCHEMA_VERSION = 1;

export interface RunResults {
  /** RESULTS_SCHEMA_VERSION of the harness that wrote the file. */
  schemaVersion: number;
  runId: string;
  scenario: string;
  file: string;
  platform: string;
  /** Version role (stable, candidate) to the version it ran. */
  versions: Record<string, string>;
  verdict: Verdict;
  exitCode: number;
  timeScale: number;
  /** The seed of the run's randomness (the reference service's faults, the database proxy's jitter): --seed replays it. */
  seed: number;
  /** How the strategy ended, when there was one; an inconclusive stage says why. */
  strategy: { result: "promoted" | "rolled-back" | "inconclusive"; inconclusive?: { stage: string; reason: string; saturated?: true } } | null;
  startedAt: string;
  wallSeconds: number;
  specSeconds: number;
  expectations: Judgement[];
  /** The automated rollback, or null when none happened. */
  rollback: RollbackResult | null;
  /** Each load phase's summary with its thresholds' verdicts (as in its load.finished event). */
  load: Array<Omit<EventOf<"load.finished">, "type">>;
  error: { code: string; message: string; hint?: string } | null;
  teardownFailures: Array<{ title: string; error: string }>;
  /** The run's share of the machine-wide budget: its estimated cores, how long it waited, and whom it ran beside (noWait: started at once, at its own risk). */
  budget?: { cores: number; detail: string; machineCores: number; waitedSeconds: number; noWait: boolean; fit: boolean; beside: string[] };
  /** Which harness ran (its commit) and on what machine. */
  harness?: HarnessInfo;
  /** The run's records in the audit trail (deployment, rollback, restore) and the trail's head after them. */
  audit?: RunAudit;
  /** A pipeline run (a scenario with pipeline:): its stages, each with its gate and its own run. */
  pipeline?: PipelineResults;
  /** The SBOM of each image the run used (SPDX JSON made by syft, copied into the run folder's sbom/). */
  sboms?: Array<{ image: string; ref: string; file: string; packages: number }>;
  /** The machine's headroom: the limits the run used, and every span it was saturated (run seconds) with why. */
  headroom?: { limits: HeadroomLimits; saturated: Array<{ from: number; to: number; reason: string }> };
}

/** A run's records in the audit trail. */
export interface RunAudit {
  file: string;
  /** The seq of each record the run appended, in order. */
  records: number[];
  /** The trail's head after them: a copy kept apart from the trail, as transparency logs hand theirs out. */
  head?: { seq: number; chain: string };
  /** Why nothing was appended, when the trail could not be written. */
  error?: string;
  /** The environment the run deployed to, and the DORA measures of every run there so far. */
  environment?: string;
  dora?: DoraMeasures;
}

/** One stage of a pipeline run, as the report and the expectations read it. */
export interface PipelineStageResult {
  environment: string;
  check: string;
  database: string;
  status: PipelineStageStatus;
  /** Why it ended so: the gate's reason, the failed checks, the rollback. */
  reason: string;
  gate?: GateDecision;
  /** The stage's own run (absent when it never started: refused at its gate, or skipped). */
  run?: { runId: string; dir: string; verdict: string; exitCode: number; wallSeconds: number };
  rollback?: { trigger: string; stage: string; reason: string };
}

export interface PipelineResults {
  branch: string;
  release: string;
  version: string;
  production: string | null;
  outcome: "succeeded" | "failed" | "interrupted";
  /** The environment where the promotion stopped, when it did. */
  stoppedAt: string | null;
  reason: string;
  stages: PipelineStageResult[];
}

export interface RollbackResult {
  trigger: string;
  source: string;
  stage: string;
  reason: string;
  /** immediate or gradual, as the document's rollback.strategy says. */
  strategy: string;
  /** Wall seconds from the first bad request the candidate answered to the decision (null when no request was bad, e.g. health checks). */
  detectedAfterSeconds: number | null;
  /** Wall seconds from the decision to all traffic back on stable. */
  completedAfterSeconds: number;
}

export function writeResults(dir: string, results: RunResults): void {
  writeFileSync(join(dir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  writeFileSync(join(dir, "junit.xml"), junit(results));
}

function xml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * JUnit XML: one test case per expectation, so CI systems show each one.
 * A case is named by the expectation's id (what CI's history follows: a
 * description can be reworded), its class by the scenario; the
 * description goes with the evidence in its output. A case's time is what
 * judging it took (the evidence is gathered by the whole run, which is the
 * suite's time); a run that failed to complete is a case of the run's time.
 */
export function junit(r: RunResults): string {
  return junitOf([r]);
}

/** One JUnit file for several runs (a command that ran several scenarios): a suite each. */
export function junitOf(runs: readonly RunResults[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${runs.map(junitSuite).join("")}</testsuites>\n`;
}

function junitSuite(r: RunResults): string {
  const failures = r.expectations.filter((e) => !e.held && !e.inconclusive).length;
  const skipped = r.expectations.filter((e) => !e.held && e.inconclusive).length;
  const cases = r.expectations.map(
    (e) =>
      `    <testcase classname="${xml(r.scenario)}" name="${xml(e.id)}" time="${(e.seconds ?? 0).toFixed(3)}">` +
      (e.held ? "" : e.inconclusive ? `<skipped message="${xml(`inconclusive: ${e.inconclusive}; ${e.evidence}`)}"/>` : `<failure message="${xml(e.evidence)}"/>`) +
      `<system-out>${xml(`${e.description}\n${e.evidence}`)}</system-out>` +
      `</testcase>`,
  );
  const error = r.error ? `    <testcase classname="${xml(r.scenario)}" name="run" time="${r.wallSeconds.toFixed(3)}"><error message="${xml(`${r.error.code}: ${r.error.message}`)}"/></testcase>\n` : "";
  return (
    `  <testsuite name="${xml(r.scenario)}" tests="${r.expectations.length + (r.error ? 1 : 0)}" failures="${failures}" skipped="${skipped}" errors="${r.error ? 1 : 0}" time="${r.wallSeconds.toFixed(3)}" timestamp="${xml(r.startedAt)}">\n` +
    cases.join("\n") +
    (cases.length ? "\n" : "") +
    error +
    `  </testsuite>\n`
  );
}
