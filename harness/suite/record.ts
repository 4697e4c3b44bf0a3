import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { HarnessInfo } from "../report/harness-info.js";
import type { SuiteFilter } from "./select.js";

/** The layout of suite.json; raised when a field changes meaning or goes away. */
export const SUITE_SCHEMA_VERSION = 1;

export interface SuiteRun {
  name: string;
  platform: string;
  verdict: string;
  exitCode: number;
  wallSeconds: number;
  /** The run's folder, relative to the suite's. */
  runDir: string;
  expectations: { held: number; failed: number; inconclusive: number };
  /** Under --retries: the inconclusive attempts before this run (folders relative to the suite's), oldest first. */
  earlier?: Array<{ runDir: string; reason: string }>;
  /** What decided the run, in one line: the error, the first failed expectation, or the rollback. */
  story: string;
  /** The tags it was selected by (its own and those the suite derives). */
  tags: string[];
}

/** suite.json: what one suite ran, how each run ended, and where its evidence is. */
export interface SuiteRecord {
  schemaVersion: number;
  id: string;
  startedAt: string;
  wallSeconds: number;
  filter: SuiteFilter;
  harness: HarnessInfo;
  exitCode: number;
  runs: SuiteRun[];
  skipped: Array<{ name: string; reason: string }>;
}

/** A suite's id: sorts by time; 4 hex digits keep two suites of one second apart. */
export function suiteId(now = new Date(), suffix = randomBytes(2).toString("hex")): string {
  return `suite-${now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-${suffix}`;
}

/**
 * The suites run before this one under the same folder, oldest first, at
 * most `limit` of them: what the summary's trend compares against. A
 * folder without a readable suite.json of this layout is passed over.
 */
export function previousSuites(suitesDir: string, beforeId: string, limit = 10): SuiteRecord[] {
  if (!existsSync(suitesDir)) return [];
  const out: SuiteRecord[] = [];
  for (const id of readdirSync(suitesDir).filter((d) => d.startsWith("suite-") && d < beforeId).sort()) {
    try {
      const record = JSON.parse(readFileSync(join(suitesDir, id, "suite.json"), "utf8")) as SuiteRecord;
      if (record.schemaVersion === SUITE_SCHEMA_VERSION) out.push(record);
    } catch {
      // an interrupted suite left no record
    }
  }
  return out.slice(-limit);
}

/** A scenario's history across suites, for the trend: its verdict and time in each (undefined where it did not run). */
export function trendOf(name: string, suites: readonly SuiteRecord[]): Array<{ id: string; verdict?: string; wallSeconds?: number }> {
  return suites.map((s) => {
    const run = s.runs.find((r) => r.name === name);
    return { id: s.id, ...(run ? { verdict: run.verdict, wallSeconds: run.wallSeconds } : {}) };
  });
}
