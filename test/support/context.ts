import { join } from "node:path";
import { ROOT } from "../../harness/common/paths.js";
import { standaloneContext, type StandaloneContext } from "../../harness/runner/standalone-context.js";
import type { Stamped } from "../../harness/timeline/events.js";

/** A platform context for integration tests: real Docker, labelled with a test run id, swept by `dispose()` (which fails when a teardown step failed). */
export function testContext(name: string): StandaloneContext {
  const ctx = standaloneContext(`test-${name}`, { logRoot: join(ROOT, "runs", "test-logs") });
  return { ...ctx, dispose: () => ctx.dispose({ strict: true }) };
}

export type { Stamped };
