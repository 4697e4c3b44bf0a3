import { afterAll, beforeAll } from "vitest";
import { newRunId } from "../../harness/common/labels.js";
import { MACHINE_CORES, MachineBudget } from "../../harness/coordination/budget.js";

/**
 * `npm test` runs its Docker lane beside its kind lane (scripts/test.sh).
 * Every scenario run takes its share of the machine's budget by itself; an
 * integration file that loads the machine without one (its own containers,
 * its own load) holds a share too, for as long as it runs, so the other
 * lane's runs take turns with it instead of judging a stage on a saturated
 * machine. Call it first in the file, before the hooks that start anything.
 */
export function holdMachineShare(name: string, cores: number): void {
  let release = (): void => undefined;
  beforeAll(async () => {
    const admission = await new MachineBudget().acquire({
      runId: newRunId(`test-${name}`),
      scenario: `test ${name}`,
      cores: Math.min(cores, MACHINE_CORES),
      wait: true,
      onWait: (m) => console.error(`[test ${name}] ${m}`),
    });
    release = admission.release;
  }, 40 * 60_000);
  afterAll(() => release());
}
