/** Shared by the report tests: a results object and two judgements. */
import type { Judgement } from "../checker/checker.js";
import { RESULTS_SCHEMA_VERSION, type RunResults } from "./results.js";

export function results(expectations: Judgement[], overrides: Partial<RunResults> = {}): RunResults {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: "20261126-171500-health-endpoints-3f9a",
    scenario: "health-endpoints",
    file: "scenarios/health-endpoints.yaml",
    platform: "docker",
    versions: { stable: "good-1", candidate: "erroring-1" },
    verdict: expectations.every((e) => e.held) ? "passed" : "failed",
    exitCode: expectations.every((e) => e.held) ? 0 : 1,
    timeScale: 1,
    seed: 42,
    strategy: null,
    startedAt: "2026-11-26T17:15:00.000Z",
    wallSeconds: 12.3456,
    specSeconds: 12.3456,
    expectations,
    rollback: null,
    load: [],
    error: null,
    teardownFailures: [],
    ...overrides,
  };
}

export const held: Judgement = { id: "ready-ok", description: "/ready answers 200", held: true, evidence: "5 of 5 observations answered 200" };
export const failed: Judgement = { id: "ready-503", description: "/ready answers 503", held: false, evidence: "2 of 5 observations differed" };

