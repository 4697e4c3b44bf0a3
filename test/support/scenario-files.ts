import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { HarnessError } from "../../harness/common/errors.js";
import { displayPath, loadScenario } from "../../harness/scenario/load-scenario.js";

/** A scenario file that did not load: the error, the file, and each problem without the file (and its `line:column`). */
export interface Rejection {
  error: HarnessError;
  file: string;
  /** Each problem without the file and its position: `steps[0].observe must be …`. */
  lines: string[];
  /** Each problem's `line:column`, in the same order. */
  positions: string[];
}

/**
 * A quick scenario with no database: the service alone, watched on /health
 * and /ready for `observe`, expected alive and with /ready answering
 * `ready` (503 is right without a database; 200 is a wrong expectation).
 */
export function noDatabaseScenario(o: { name: string; description: string; observe: string; ready: 200 | 503; readyId: string; tags?: string[] }): string {
  return `name: ${o.name}
description: ${o.description}
${o.tags ? `tags: [${o.tags.join(", ")}]\n` : ""}database: false
versions:
  stable: { image: app, tag: good-1 }
monitor:
  interval: 200ms
  targets:
    - { role: stable, paths: [/health, /ready] }
steps:
  - name: watch
    observe: ${o.observe}
expect:
  - id: alive
    probe: { role: stable, path: /health, status: 200 }
  - id: ${o.readyId}
    probe: { role: stable, path: /ready, status: ${o.ready}${o.ready === 503 ? ", failing: database" : ""} }
`;
}

/** Scenario files written to a temporary folder, for the reader's tests: `open()` in beforeAll, `close()` in afterAll. */
export class ScenarioFiles {
  private dir: string | undefined;
  private counter = 0;

  /** The temporary folder the files are written to. */
  get folder(): string {
    return this.dir!;
  }

  open(prefix = "gameday-scenario-"): void {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  close(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  write(text: string, name = `scenario-${++this.counter}.yaml`): string {
    const file = join(this.dir!, name);
    writeFileSync(file, text);
    return file;
  }

  /** Load `text` as a scenario file and expect SCENARIO_INVALID, every problem on its own line starting with the file. */
  loadError(text: string): Rejection {
    const file = this.write(text);
    let caught: unknown;
    try {
      loadScenario(file);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(HarnessError);
    const error = caught as HarnessError;
    expect(error.code).toBe("SCENARIO_INVALID");
    const lines = error.message.split("\n");
    // Every problem is on its own line and starts with the file as shown to people, with the line and column of what it is about.
    const prefix = new RegExp(`^${displayPath(file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?::(\\d+:\\d+))?: `);
    for (const line of lines) expect(line).toMatch(prefix);
    return {
      error,
      file,
      lines: lines.map((l) => l.replace(prefix, "")),
      positions: lines.map((l) => prefix.exec(l)?.[1] ?? ""),
    };
  }
}
