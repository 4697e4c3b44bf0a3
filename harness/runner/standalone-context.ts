import { mkdirSync } from "node:fs";
import { startReaper } from "../cleanup/reaper.js";
import { sweep } from "../cleanup/sweep.js";
import { TeardownStack } from "../cleanup/teardown.js";
import { newRunId } from "../common/labels.js";
import { ImageBuilder } from "../images/builder.js";
import type { PlatformContext } from "../platforms/platform.js";
import type { TimelineEvent } from "../timeline/events.js";

/** A platform context outside a scenario run (a bench, an integration test): its events in memory, its resources labelled with its own run id. */
export interface StandaloneContext extends PlatformContext {
  readonly events: TimelineEvent[];
  /** Run the teardown, then remove whatever still carries the run id; throws when `strict` and a teardown step failed. */
  dispose(options?: { strict?: boolean }): Promise<void>;
}

/**
 * `reaper`: a watchdog removes what carries the run id if this process dies
 * without disposing (a second Ctrl-C, SIGKILL), as for a scenario run; for
 * benches, which run long enough to be interrupted.
 */
export function standaloneContext(name: string, options: { logRoot: string; signal?: AbortSignal; reaper?: boolean }): StandaloneContext {
  const runId = newRunId(name);
  const reaper = options.reaper ? startReaper(runId) : undefined;
  const logDir = `${options.logRoot}/${runId}`;
  mkdirSync(logDir, { recursive: true });
  const events: TimelineEvent[] = [];
  const teardown = new TeardownStack();
  return {
    runId,
    logDir,
    events,
    emit: (e) => void events.push(e),
    teardown,
    images: new ImageBuilder({ pull: false }),
    signal: options.signal ?? new AbortController().signal,
    async dispose({ strict = false } = {}) {
      const failures = await teardown.runAll();
      await sweep(runId);
      reaper?.stop();
      if (strict && failures.length > 0) throw new Error(`teardown failed: ${failures.map((f) => `${f.title}: ${f.error}`).join("; ")}`);
    },
  };
}
