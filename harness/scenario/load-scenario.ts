import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { HarnessError } from "../common/errors.js";
import { ROOT, userDirectory } from "../common/paths.js";
import { formatProblem, validate, type Problem } from "../common/problems.js";
import { didYouMean } from "../common/suggest.js";
import { readYaml } from "../common/yaml-file.js";
import { readDeploymentSpec } from "../document/deployment-spec.js";
import { renameRoleAliases } from "./role-alias.js";
import { scenarioSchema } from "./schema-scenario.js";
import { pipelineSchema } from "./schema-pipeline.js";
import { asRecord } from "../common/fields.js";
import type { Scenario } from "./scenario.js";

export const SCENARIO_DIR = join(ROOT, "scenarios");

export { userDirectory };

/** `canary-fail` -> scenarios/canary-fail.yaml; a path is used as it is, relative to where the user ran the command. */
export function resolveScenarioPath(nameOrPath: string, cwd = userDirectory()): string {
  const looksLikePath = nameOrPath.includes("/") || /\.ya?ml$/.test(nameOrPath);
  const candidate = looksLikePath ? resolve(cwd, nameOrPath) : join(SCENARIO_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(candidate)) {
    const known = scenarioNames();
    throw new HarnessError("SCENARIO_NOT_FOUND", `no scenario ${looksLikePath ? `file ${nameOrPath}` : `named "${nameOrPath}"${didYouMean(nameOrPath, known)}`}`, {
      hint: `known scenarios: ${known.join(", ") || "(none)"}; or pass a path to a YAML file`,
    });
  }
  return candidate;
}

/** resolveScenarioPath, where a folder stands for every .yaml file in it (in name order). */
export function resolveScenarioPaths(nameOrPath: string, cwd = userDirectory()): string[] {
  const direct = resolve(cwd, nameOrPath);
  if (existsSync(direct) && statSync(direct).isDirectory()) {
    const files = readdirSync(direct).filter((f) => /\.ya?ml$/.test(f)).sort();
    if (files.length === 0) throw new HarnessError("SCENARIO_NOT_FOUND", `folder ${nameOrPath} holds no .yaml file`, { hint: "pass scenario names, files, or a folder of scenario files" });
    return files.map((f) => join(direct, f));
  }
  return [resolveScenarioPath(nameOrPath, cwd)];
}

/** The names of the shipped scenarios (their file names), without reading them. */
export function scenarioNames(): string[] {
  return existsSync(SCENARIO_DIR) ? readdirSync(SCENARIO_DIR).filter((f) => f.endsWith(".yaml")).map((f) => basename(f, ".yaml")).sort() : [];
}

export function listScenarios(): Array<{ name: string; description: string; file: string }> {
  if (!existsSync(SCENARIO_DIR)) return [];
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort((a, b) => basename(a, ".yaml").localeCompare(basename(b, ".yaml")))
    .map((f) => {
      const file = join(SCENARIO_DIR, f);
      try {
        const s = loadScenario(file);
        return { name: s.name, description: s.description, file: displayPath(file) };
      } catch {
        return { name: basename(f, ".yaml"), description: "(does not validate: run --validate)", file: displayPath(file) };
      }
    });
}

export function displayPath(file: string): string {
  const rel = relative(userDirectory(), file);
  return rel.startsWith("..") || isAbsolute(rel) ? file : rel;
}

/** Read and validate a scenario file; every problem is reported with the file, its line and column, and its path in it. */
export function loadScenario(file: string): Scenario {
  return loadScenarioWithWarnings(file).scenario;
}

/**
 * loadScenario, and the file's warnings (`file:line:column: path message`
 * lines): things that still work but should change, like `version:` where
 * `role:` is meant.
 */
export function loadScenarioWithWarnings(file: string): { scenario: Scenario; warnings: string[] } {
  const shown = displayPath(file);
  const source = readYaml(readFileSync(file, "utf8"), shown, "a scenario needs name, description, versions, steps (or a strategy) and expect; see scenarios/README.md");
  if ("fatal" in source) throw invalid([source.fatal]);
  const aliases = renameRoleAliases(source.value);
  const raw = aliases.value;
  const overrides = (raw as { spec?: unknown } | null)?.spec;
  const problems: Problem[] = [...aliases.problems];
  let spec = readDeploymentSpec().spec!;
  if (overrides !== undefined && (typeof overrides !== "object" || overrides === null || Array.isArray(overrides))) {
    problems.push({ path: ["spec"], message: "must be a mapping of the deployment document's values to override, e.g. { rollback: { strategy: gradual } }" });
  } else if (overrides !== undefined) {
    const merged = readDeploymentSpec({ value: overrides, path: ["spec"] });
    if (merged.spec) spec = merged.spec;
    problems.push(...merged.problems);
  }
  const isPipeline = asRecord(raw)?.pipeline !== undefined;
  const result = isPipeline ? validate(pipelineSchema(raw, spec, shown, overrides), raw) : validate(scenarioSchema(raw, spec), raw);
  problems.unshift(...result.problems);
  const place = (p: Problem) => source.locate({ ...p, path: aliases.written(p.path) });
  if (!result.ok || problems.length > 0) throw invalid(problems.map((p) => formatProblem(shown, place(p))));
  return { scenario: { file: shown, ...result.data }, warnings: aliases.warnings.map((w) => formatProblem(shown, place(w))) };
}

function invalid(lines: string[]): HarnessError {
  return new HarnessError("SCENARIO_INVALID", lines.join("\n"), {
    hint: "fix the file and check it with `npm run scenario -- --validate <name or path>`; the fields are described in scenarios/README.md",
  });
}
