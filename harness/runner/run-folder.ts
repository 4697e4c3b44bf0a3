import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { writeHtmlReport } from "../report/html-report.js";
import { writeResults, type RunResults } from "../report/results.js";
import type { Stamped, TimelineEvent } from "../timeline/events.js";

/** A run's folder: runs/<run-id>/ with its logs/, pointed at by runs/latest. */
export interface RunFolder {
  readonly dir: string;
  readonly logDir: string;
  readonly eventsFile: string;
}

export function openRunFolder(runsDir: string, runId: string): RunFolder {
  const dir = join(runsDir, runId);
  const logDir = join(dir, "logs");
  mkdirSync(logDir, { recursive: true });
  pointLatest(runsDir, runId);
  return { dir, logDir, eventsFile: join(dir, "events.jsonl") };
}

/** The evidence for machines (results.json, junit.xml) and for people (report.html); events.jsonl is written as the run goes. */
export function writeRunFolder(folder: RunFolder, results: RunResults, events: readonly Stamped<TimelineEvent>[]): void {
  writeResults(folder.dir, results);
  writeHtmlReport(folder.dir, results, events, existsSync(folder.logDir) ? readdirSync(folder.logDir).sort() : []);
}

function pointLatest(runsDir: string, runId: string): void {
  const latest = join(runsDir, "latest");
  rmSync(latest, { force: true });
  try {
    symlinkSync(runId, latest);
  } catch {
    /* a file system without symlinks only loses the shortcut */
  }
}
