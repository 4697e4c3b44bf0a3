import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { junitOf, type RunResults } from "../report/results.js";
import { suitePage } from "./page.js";
import { previousSuites, type SuiteRecord } from "./record.js";

/**
 * A suite's folder under <runs>/suites/<id>/: suite.json, the summary page
 * (index.html, with the trend against the suites before it) and one JUnit
 * file with a suite per run; <runs>/suites/latest points at it.
 */
export function writeSuiteFolder(suitesDir: string, record: SuiteRecord, results: readonly RunResults[]): string {
  const dir = join(suitesDir, record.id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "suite.json"), JSON.stringify(record, null, 2) + "\n");
  writeFileSync(join(dir, "junit.xml"), junitOf(results));
  writeFileSync(join(dir, "index.html"), suitePage(record, previousSuites(suitesDir, record.id)));
  const latest = join(suitesDir, "latest");
  rmSync(latest, { force: true });
  try {
    symlinkSync(record.id, latest);
  } catch {
    /* a file system without symlinks only loses the shortcut */
  }
  return dir;
}
