import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HarnessError } from "../common/errors.js";
import { ROOT } from "../common/paths.js";
import { formatProblem, validate, type Problem } from "../common/problems.js";
import { readYaml } from "../common/yaml-file.js";
import { deploymentSchema } from "./deployment-schema.js";
import type { DeploymentSpec } from "./deployment-types.js";

export type * from "./deployment-types.js";
export { parseCpu, parseMemory } from "./deployment-schema.js";

export const SPEC_FILE = join(ROOT, "fixtures", "spec", "deployment-strategy.yaml");

const SHOWN = "fixtures/spec/deployment-strategy.yaml";

/**
 * The document's configuration with a scenario's overrides merged over it,
 * or every problem of the result. Problems of the document itself carry its
 * line and column; problems of the merge are under `overrides.path` (the
 * scenario's `spec:`), for the scenario's reader to place in its file.
 */
export function readDeploymentSpec(overrides?: { value: unknown; path: ReadonlyArray<string | number> }, file = SPEC_FILE): { spec?: DeploymentSpec; problems: Problem[] } {
  const shown = file === SPEC_FILE ? SHOWN : file;
  const source = readYaml(readFileSync(file, "utf8"), shown, "the deployment document needs environments, probes, blue_green, canary, rollback, backup, performance, approvals and audit");
  if ("fatal" in source) throw new HarnessError("SPEC_INVALID", source.fatal, { hint: `fix ${shown}` });
  const own = validate(deploymentSchema, source.value);
  if (!own.ok) throw specInvalid(own.problems.map((p) => formatProblem(shown, source.locate(p))), shown);
  if (overrides?.value === undefined) return { spec: own.data, problems: [] };
  const merged = validate(deploymentSchema, deepMerge(source.value, overrides.value), overrides.path);
  return merged.ok ? { spec: merged.data, problems: [] } : { problems: merged.problems };
}

/** Load the document's configuration, with a scenario's overrides merged over it (both validated, paths in errors). */
export function loadDeploymentSpec(overrides?: { value: unknown; file: string; path: string }, file = SPEC_FILE): DeploymentSpec {
  const { spec, problems } = readDeploymentSpec(overrides && { value: overrides.value, path: overrides.path.split(".").filter(Boolean) }, file);
  if (spec) return spec;
  throw new HarnessError("SCENARIO_INVALID", problems.map((p) => formatProblem(overrides!.file, p)).join("\n"), {
    hint: "the scenario's spec: block overrides the deployment document's values; fix the values named above",
  });
}

function specInvalid(lines: string[], shown: string): HarnessError {
  return new HarnessError("SPEC_INVALID", lines.join("\n"), { hint: `fix ${shown}` });
}

/** Objects merge key by key; lists and scalars from the override replace the base. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(override)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override)) out[k] = k in base ? deepMerge(base[k], v) : v;
    return out;
  }
  return override;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
