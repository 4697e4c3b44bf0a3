import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { sweep } from "../../harness/cleanup/sweep.js";
import { TeardownStack } from "../../harness/cleanup/teardown.js";
import { newRunId } from "../../harness/common/labels.js";
import { ImageBuilder } from "../../harness/images/builder.js";
import { ROOT } from "../../harness/common/paths.js";
import type { PlatformContext } from "../../harness/platforms/platform.js";
import type { Stamped, TimelineEvent } from "../../harness/timeline/events.js";

/** A platform context for integration tests: real Docker, labelled with a test run id, swept by `dispose()`. */
export function testContext(name: string): PlatformContext & { events: TimelineEvent[]; dispose(): Promise<void> } {
  const runId = newRunId(`test-${name}`);
  const logDir = join(ROOT, "runs", "test-logs", runId);
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
    signal: new AbortController().signal,
    async dispose() {
      const failures = await teardown.runAll();
      await sweep(runId);
      if (failures.length > 0) throw new Error(`teardown failed: ${failures.map((f) => `${f.title}: ${f.error}`).join("; ")}`);
    },
  };
}

export type { Stamped };
