import { formatPath, type Problem } from "../common/problems.js";

/**
 * `role:` is how a scenario file names a version role (monitor targets,
 * faults, actions, expectations); `version:` is its deprecated alias. Before
 * validation, the alias is renamed to `role` (with a warning), so the
 * schemas know one word; a problem at such a `role` is shown (and placed) at
 * the `version` key the file wrote.
 */
export interface RoleAliases {
  /** The file's value with every `version:` alias renamed `role:`. */
  readonly value: unknown;
  readonly warnings: Problem[];
  /** `version` and `role` both given. */
  readonly problems: Problem[];
  /** A problem's path as written in the file. */
  written(path: ReadonlyArray<string | number>): Array<string | number>;
}

const EXPECTATION_KINDS = ["probe", "metrics", "health", "pods", "restarts", "deployment"];

export function renameRoleAliases(raw: unknown): RoleAliases {
  const warnings: Problem[] = [];
  const problems: Problem[] = [];
  const renamed = new Set<string>();
  const rename = (holder: Record<string, unknown>, key: string | number, path: Array<string | number>) => {
    const m = record(holder[key]);
    if (!m || !("version" in m)) return;
    const at = [...path, key];
    if ("role" in m) {
      problems.push({ path: [...at, "version"], at: "key", message: "and role are both given: write role only (version is its deprecated alias)" });
      holder[key] = Object.fromEntries(Object.entries(m).filter(([k]) => k !== "version"));
      return;
    }
    // Keep the key where the file has it, so problems come in the file's order.
    holder[key] = Object.fromEntries(Object.entries(m).map(([k, v]) => (k === "version" ? ["role", v] : [k, v])));
    renamed.add(formatPath(at));
    warnings.push({ path: [...at, "version"], at: "key", message: "is deprecated: write role: (version still works)" });
  };
  const root = record(raw);
  if (!root) return { value: raw, warnings, problems, written: (p) => [...p] };
  const value: Record<string, unknown> = { ...root };
  const monitor = record(value.monitor);
  if (monitor && Array.isArray(monitor.targets)) {
    const targets = [...(monitor.targets as unknown[])];
    value.monitor = { ...monitor, targets };
    targets.forEach((_, i) => rename(targets as unknown as Record<string, unknown>, i, ["monitor", "targets"]));
  }
  if (Array.isArray(value.steps)) {
    value.steps = (value.steps as unknown[]).map((s, i) => {
      const step = record(s);
      if (!step) return s;
      const copy = { ...step };
      for (const key of ["fault", "action"]) rename(copy, key, ["steps", i]);
      return copy;
    });
  }
  if (Array.isArray(value.expect)) {
    value.expect = (value.expect as unknown[]).map((e, i) => {
      const expectation = record(e);
      if (!expectation) return e;
      const copy = { ...expectation };
      for (const key of EXPECTATION_KINDS) rename(copy, key, ["expect", i]);
      return copy;
    });
  }
  const written = (path: ReadonlyArray<string | number>) => {
    const out = [...path];
    for (let i = 1; i < out.length; i++) if (out[i] === "role" && renamed.has(formatPath(out.slice(0, i)))) out[i] = "version";
    return out;
  };
  return { value, warnings, problems, written };
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
