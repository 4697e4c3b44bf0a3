import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../common/paths.js";
import { checkRunnable, printSummary, runFlags, runMany, worstExitCode, writeJunit, type RunOutcome } from "./run-many.js";

/**
 * `gameday suite`: every shipped scenario (or every one of a folder, `--from`;
 * or those a tag, a name or a platform selects), side by side as the machine's budget lets (one after
 * the other with --serial), past failures; then one summary
 * page linking every run, with the trend against the suites run before,
 * one JUnit file and suite.json, under <runs>/suites/<id>/.
 */
export async function suiteCommand(args: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      tag: { type: "string", multiple: true },
      from: { type: "string" },
      only: { type: "string", multiple: true },
      platform: { type: "string" },
      kubeconfig: { type: "string" },
      context: { type: "string" },
      "allow-context": { type: "string" },
      registry: { type: "string" },
      "time-scale": { type: "string" },
      seed: { type: "string" },
      inconclusive: { type: "string" },
      retries: { type: "string" },
      "no-wait": { type: "boolean" },
      "keep-cluster": { type: "boolean" },
      serial: { type: "boolean" },
      "out-dir": { type: "string" },
      junit: { type: "string" },
      json: { type: "boolean" },
      verbose: { type: "boolean" },
    },
  });
  const [{ listScenarios, loadScenario, resolveScenarioPaths, displayPath, userDirectory }, { selectScenarios, tagsOf }, { suiteId, SUITE_SCHEMA_VERSION }, { writeSuiteFolder }, { harnessInfo }] = await Promise.all([
    import("../scenario/load-scenario.js"),
    import("../suite/select.js"),
    import("../suite/record.js"),
    import("../suite/write.js"),
    import("../report/harness-info.js"),
  ]);
  const flags = await runFlags(values);
  const split = (xs: string[] | undefined) => (xs ?? []).flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean);
  const filter = { tags: split(values.tag), names: [...split(values.only), ...positionals], ...(flags.platform ? { platform: flags.platform } : {}) };
  // Every file is read and checked first: a suite with a broken file starts nothing.
  const files = values.from !== undefined ? resolveScenarioPaths(values.from) : listScenarios().map((s) => resolveScenarioPaths(s.name)[0]!);
  const all = files.map((f) => loadScenario(f));
  const selection = selectScenarios(all, filter);
  await checkRunnable(
    selection.selected.map((x) => x.scenario),
    flags,
  );
  const id = suiteId();
  const runsDir = values["out-dir"] === undefined ? join(ROOT, "runs") : resolve(userDirectory(), values["out-dir"]);
  const suitesDir = join(runsDir, "suites");
  if (!values.json) {
    console.log(`suite ${id}: ${selection.selected.length} scenario(s): ${selection.selected.map((x) => `${x.scenario.name} (${x.platform})`).join(", ")}`);
    for (const k of selection.skipped) console.log(`  skipped ${k.name}: ${k.reason}`);
  }
  const started = new Date();
  const t0 = performance.now();
  let outcomes: RunOutcome[] = [];
  try {
    outcomes = await runMany(
      selection.selected.map((x) => x.scenario),
      { ...flags, runsDir, sideBySide: values.serial !== true, keepCluster: values["keep-cluster"] === true, noWait: values["no-wait"] === true, json: values.json === true, verbose: values.verbose === true, signal, displayPath },
    );
  } finally {
    // Even an interrupted suite says what it ran.
    const exitCode = worstExitCode(outcomes, signal.aborted);
    const suiteDir = join(suitesDir, id);
    const record = {
      schemaVersion: SUITE_SCHEMA_VERSION,
      id,
      startedAt: started.toISOString(),
      wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
      filter,
      harness: harnessInfo(),
      exitCode,
      runs: outcomes.map((o) => ({
        name: o.name,
        platform: o.platform,
        verdict: o.verdict,
        exitCode: o.exitCode,
        wallSeconds: o.wallSeconds,
        runDir: relative(suiteDir, o.runDir),
        ...(o.earlier ? { earlier: o.earlier.map((a) => ({ runDir: relative(suiteDir, a.runDir), reason: a.reason })) } : {}),
        expectations: {
          held: o.results.expectations.filter((e) => e.held).length,
          failed: o.results.expectations.filter((e) => !e.held && !e.inconclusive).length,
          inconclusive: o.results.expectations.filter((e) => !e.held && e.inconclusive).length,
        },
        story: storyOf(o),
        tags: tagsOf(selection.selected.find((x) => x.scenario.name === o.name)!.scenario),
      })),
      skipped: selection.skipped,
    };
    writeSuiteFolder(suitesDir, record, outcomes.map((o) => o.results));
    if (values.junit !== undefined) await writeJunit(resolve(userDirectory(), values.junit), outcomes);
    if (!values.json) {
      if (outcomes.length > 0) printSummary(outcomes, displayPath);
      console.log(`suite: ${displayPath(join(suiteDir, "index.html"))} (junit.xml, suite.json beside it)`);
    }
  }
  return worstExitCode(outcomes, signal.aborted);
}

/** What decided a run, in one line. */
function storyOf(o: RunOutcome): string {
  const story = finalStoryOf(o);
  return o.earlier ? `${story} (attempt ${o.earlier.length + 1}; attempt ${o.earlier.length} was inconclusive: ${o.earlier.at(-1)!.reason})` : story;
}

function finalStoryOf(o: RunOutcome): string {
  const r = o.results;
  if (r.error) return `${r.error.code}: ${r.error.message}`;
  const failed = r.expectations.find((e) => !e.held);
  if (failed) return `${failed.id}: ${failed.inconclusive ? `inconclusive: ${failed.inconclusive}` : failed.evidence}`;
  if (r.rollback) return `rolled back in ${r.rollback.stage} by ${r.rollback.trigger}; every expectation held`;
  return r.strategy ? `${r.strategy.result}; every expectation held` : "every expectation held";
}
