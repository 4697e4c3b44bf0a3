import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ExitCode, HarnessError, asHarnessError, errorMessage } from "../common/errors.js";
import { didYouMean } from "../common/suggest.js";
import { helpFor, rightForm, swallowedFlags, USAGE } from "./help.js";
import { withSourceLines } from "./source-lines.js";

type Command = (args: string[], signal: AbortSignal) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  scenario: async () => scenarioCommand,
  // The gameday command's words for what npm run scenario does with its flags.
  run: async () => scenarioCommand,
  validate: async () => (args, signal) => scenarioCommand(["--validate", ...args], signal),
  list: async () => (args, signal) => scenarioCommand(["--list", ...args], signal),
  suite: async () => (await import("./suite.js")).suiteCommand,
  doctor: async () => (await import("./doctor.js")).doctorCommand,
  clean: async () => (await import("./clean.js")).cleanCommand,
  images: async () => (await import("./images.js")).imagesCommand,
  bench: async () => (await import("../bench/bench.js")).benchCommand,
  audit: async () => (await import("./audit.js")).auditCommand,
  approve: async () => (await import("./approve.js")).approveCommand,
  metrics: async () => (await import("./metrics.js")).metricsCommand,
};

async function scenarioCommand(args: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      list: { type: "boolean" },
      validate: { type: "boolean" },
      "time-scale": { type: "string" },
      seed: { type: "string" },
      inconclusive: { type: "string" },
      retries: { type: "string" },
      "no-wait": { type: "boolean" },
      platform: { type: "string" },
      kubeconfig: { type: "string" },
      context: { type: "string" },
      "allow-context": { type: "string" },
      registry: { type: "string" },
      "keep-cluster": { type: "boolean" },
      json: { type: "boolean" },
      verbose: { type: "boolean" },
      junit: { type: "string" },
      "out-dir": { type: "string" },
      live: { type: "boolean" },
      output: { type: "string", short: "o" },
    },
  });
  const json = outputJson(values.output);
  const { listScenarios, loadScenarioWithWarnings, resolveScenarioPaths, displayPath, userDirectory } = await import("../scenario/load-scenario.js");
  // A file that reads with warnings (a deprecated field, say) says so on stderr.
  const loadScenario = (file: string) => {
    const { scenario, warnings } = loadScenarioWithWarnings(file);
    for (const w of warnings) console.error(`warning: ${w}`);
    return scenario;
  };
  if (values.list) {
    const all = listScenarios();
    if (json) {
      console.log(JSON.stringify(all, null, 2));
      return ExitCode.held;
    }
    const width = Math.max(...all.map((s) => s.name.length), 4);
    for (const s of all) console.log(`${s.name.padEnd(width)}  ${s.description}`);
    return ExitCode.held;
  }
  if (values.validate) {
    if (positionals.length === 0) throw new HarnessError("USAGE", "name the scenarios to validate", { hint: "npm run scenario -- --validate <name | path.yaml | folder>..." });
    return validateAll(positionals, json ? loadScenarioWithWarnings : loadScenario, resolveScenarioPaths, displayPath, json);
  }
  if (positionals.length === 0) throw new HarnessError("USAGE", "name a scenario to run", { hint: USAGE });
  const { runFlags, checkRunnable, runMany, printSummary, writeJunit, worstExitCode } = await import("./run-many.js");
  const flags = await runFlags(values);
  // Every file is read and checked before anything starts.
  const scenarios = positionals.flatMap((p) => resolveScenarioPaths(p)).map((file) => loadScenario(file));
  await checkRunnable(scenarios, flags);
  if (values.live && scenarios[0]?.pipeline) {
    throw new HarnessError("USAGE", `scenario ${scenarios[0].name} is a pipeline: --live drives one run with its page, and a pipeline is a run per stage`, { hint: "run the pipeline without --live; its report links each stage's" });
  }
  if (values.live && flags.retries) {
    throw new HarnessError("USAGE", "--retries runs an inconclusive scenario again unattended, and --live is a game day people watch", { hint: "drop --retries; on the live page, run it again by hand if you need to" });
  }
  if (values.live && scenarios.length !== 1) {
    throw new HarnessError("USAGE", `--live runs one scenario with its page, and ${scenarios.length} were named`, { hint: "gameday run <scenario> --live; a suite of scenarios is gameday suite" });
  }
  const runsDir = values["out-dir"] === undefined ? undefined : resolve(userDirectory(), values["out-dir"]);
  const outcomes = await runMany(scenarios, { ...flags, ...(runsDir ? { runsDir } : {}), keepCluster: values["keep-cluster"] === true, noWait: values["no-wait"] === true, json: values.json === true, verbose: values.verbose === true, live: values.live === true, signal, displayPath });
  if ((outcomes.length > 1 || outcomes.some((o) => o.earlier)) && !values.json) printSummary(outcomes, displayPath);
  if (values.junit !== undefined && outcomes.length > 0) {
    const file = resolve(userDirectory(), values.junit);
    await writeJunit(file, outcomes);
    if (!values.json) console.log(`junit: ${displayPath(file)} (${outcomes.length} suite(s))`);
  }
  return worstExitCode(outcomes, signal.aborted);
}

/** `-o json` or `-o text` (the default). */
function outputJson(output: string | undefined): boolean {
  if (output === undefined || output === "text") return false;
  if (output === "json") return true;
  throw new HarnessError("USAGE", `-o must be json or text, got "${output}"`, { hint: "-o json prints one JSON document for list, validate and doctor" });
}

type Scenario = import("../scenario/scenario.js").Scenario;
/** What `validate -o json` says of one name, file or folder. */
interface Validated {
  file: string;
  valid: boolean;
  name?: string;
  steps?: number;
  expectations?: number;
  warnings: string[];
  problems: string[];
  error?: string;
}

/**
 * Check every file (names, files, folders), say which are valid and why the others are not: exit 2 if any is not.
 * With `json`, one JSON list on stdout, an entry per file (or per argument that named none), instead of lines.
 */
async function validateAll(
  args: readonly string[],
  load: (file: string) => Scenario | { scenario: Scenario; warnings: string[] },
  resolvePaths: (arg: string) => string[],
  displayPath: (file: string) => string,
  json = false,
): Promise<number> {
  const [{ sampleSizeWarnings }, { TimeScale }] = await Promise.all([import("../runner/sample-size.js"), import("../common/clock.js")]);
  let invalid = 0;
  const entries: Validated[] = [];
  const failed = (file: string, e: unknown) => {
    invalid++;
    if (!json) return void reportError(e, false);
    const error = asHarnessError(e);
    entries.push({ file, valid: false, warnings: [], problems: error.code === "SCENARIO_INVALID" ? error.message.split("\n") : [error.message], error: error.code });
  };
  for (const arg of args) {
    let files: string[];
    try {
      files = resolvePaths(arg);
    } catch (e) {
      failed(arg, e);
      continue;
    }
    for (const file of files) {
      try {
        const loaded = load(file);
        const s = "scenario" in loaded ? loaded.scenario : loaded;
        const warnings = [...("scenario" in loaded ? loaded.warnings : []), ...sampleSizeWarnings(s, new TimeScale(s.timeScale))];
        if (json) entries.push({ file: displayPath(file), valid: true, name: s.name, steps: s.steps.length, expectations: s.expectations.length, warnings, problems: [] });
        else {
          for (const w of warnings) console.error(`warning: ${w}`);
          console.log(
            `${displayPath(file)}: valid (${s.name}: ${s.pipeline ? `a pipeline of ${s.pipeline.stages.length} stage(s), ${s.pipeline.expectations.length} expectations` : `${s.steps.length} steps, ${s.expectations.length} expectations`})`,
          );
        }
      } catch (e) {
        failed(displayPath(file), e);
      }
    }
  }
  if (json) console.log(JSON.stringify(entries, null, 2));
  else if (invalid > 0) console.error(`${invalid} invalid`);
  return invalid > 0 ? ExitCode.badInputOrEnvironment : ExitCode.held;
}

/** A file a problem names, as the user named it (relative to where they ran the command). */
function readUserFile(file: string): string | undefined {
  try {
    return readFileSync(resolve(process.env.INIT_CWD || process.cwd(), file), "utf8");
  } catch {
    return undefined;
  }
}

/** An error as the CLI prints it: code, message, hint; the stack of a harness bug, or with --verbose. */
function reportError(e: unknown, verbose: boolean): number {
  if (e instanceof HarnessError) {
    console.error(`error ${e.code}: ${e.code === "SCENARIO_INVALID" ? withSourceLines(e.message, readUserFile) : e.message}`);
    if (e.hint) console.error(`hint: ${e.hint}`);
    if (verbose && e.stack) console.error(e.stack);
    return e.exitCode;
  }
  if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    console.error(`error USAGE: ${errorMessage(e)}\n${USAGE}`);
    return ExitCode.badInputOrEnvironment;
  }
  const internal = asHarnessError(e);
  console.error(`error ${internal.code}: ${internal.message}`);
  console.error(`hint: ${internal.hint}`);
  return internal.exitCode;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "-h" || name === "--help") {
    console.log(helpFor(rest[0]));
    return name === undefined ? ExitCode.badInputOrEnvironment : ExitCode.held;
  }
  if (rest.includes("-h") || rest.includes("--help")) {
    console.log(helpFor(name));
    return COMMANDS[name] ? ExitCode.held : ExitCode.badInputOrEnvironment;
  }
  const verbose = rest.includes("--verbose");
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      console.error(`\n${sig}: stopping and removing everything this run started (press Ctrl-C again to quit at once; the reaper still cleans up)`);
      controller.abort(new HarnessError("INTERRUPTED", "interrupted"));
    } else process.exit(ExitCode.interrupted);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const load = COMMANDS[name];
    if (!load) throw new HarnessError("USAGE", `unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}`, { hint: USAGE });
    const swallowed = swallowedFlags(name);
    if (swallowed.length > 0) {
      throw new HarnessError("USAGE", `npm took ${swallowed.map((f) => `--${f}`).join(", ")} for itself: the harness never saw ${swallowed.length === 1 ? "it" : "them"}, so nothing was run`, {
        hint: `put the harness's flags after "--", as in: ${rightForm(name, swallowed)}`,
      });
    }
    return await (await load())(rest.filter((a) => a !== "--verbose" || name === "scenario"), controller.signal);
  } catch (e) {
    const code = reportError(e, verbose);
    return controller.signal.aborted ? ExitCode.interrupted : code;
  }
}

// Output piped into a command that stopped reading (| head) is dropped from then on, quietly: the
// command goes on to its end, a run to its teardown, and the exit code is the command's.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    stream.write = (() => true) as typeof stream.write;
  });
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Nothing the harness started should keep the process alive once a command is done.
  setTimeout(() => process.exit(code), 2000).unref();
});
