import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { parseDocument } from "yaml";
import { HarnessError } from "../common/errors.js";
import { ROOT } from "../common/paths.js";
import { LATENCY_STATISTICS, STRATEGIES } from "../model/strategy.js";
import { PLATFORMS, type PlatformName } from "../model/platform-name.js";
import type { FaultSettings } from "../model/fault-knobs.js";
import { stagesFor } from "../document/stages.js";
import { ACTION_TYPES } from "../actions/registry.js";
import { FAULT_TYPES } from "../faults/registry.js";
import { readLoadProfile } from "../load/profile.js";
import { loadDeploymentSpec, type DeploymentSpec } from "../document/deployment-spec.js";
import { Reader, type Problem } from "../common/reader.js";
import {
  type ActionSpec,
  type Expectation,
  type PodCount,
  type PodsExpectation,
  type FaultSpec,
  type MonitorSpec,
  type Scenario,
  type Step,
  type StrategySpec,
  type VersionSpec,
} from "./scenario.js";

export const SCENARIO_DIR = join(ROOT, "scenarios");

/** `canary-fail` -> scenarios/canary-fail.yaml; a path is used as it is. */
export function resolveScenarioPath(nameOrPath: string, cwd = process.cwd()): string {
  const looksLikePath = nameOrPath.includes("/") || /\.ya?ml$/.test(nameOrPath);
  const candidate = looksLikePath ? resolve(cwd, nameOrPath) : join(SCENARIO_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(candidate)) {
    const known = listScenarios().map((s) => s.name);
    throw new HarnessError("SCENARIO_NOT_FOUND", `no scenario ${looksLikePath ? `file ${nameOrPath}` : `named "${nameOrPath}"`}`, {
      hint: `known scenarios: ${known.join(", ") || "(none)"}; or pass a path to a YAML file`,
    });
  }
  return candidate;
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
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") || isAbsolute(rel) ? file : rel;
}

/** Read and validate a scenario file; every problem is reported with the file and its path in it. */
export function loadScenario(file: string): Scenario {
  const shown = displayPath(file);
  const doc = parseDocument(readFileSync(file, "utf8"), { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw invalid(shown, doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? "?"}`, message: `is not valid YAML: ${e.message.split("\n")[0]}` })));
  }
  const problems: Problem[] = [];
  const scenario = readScenario(Reader.root(doc.toJS(), problems), shown);
  if (problems.length > 0 || !scenario) throw invalid(shown, problems);
  return scenario;
}

function invalid(file: string, problems: Problem[]): HarnessError {
  const lines = problems.map((p) => `${file}: ${p.path} ${p.message}`);
  return new HarnessError("SCENARIO_INVALID", lines.join("\n"), {
    hint: "fix the file and check it with `npm run scenario -- --validate <name or path>`; the fields are described in scenarios/README.md",
  });
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;
const NAME_TEXT = 'a lower-case name like "db-outage"';

function readScenario(r: Reader, file: string): Scenario | undefined {
  r.keys(["name", "description", "environment", "platform", "timeScale", "database", "spec", "strategy", "versions", "monitor", "load", "steps", "expect"]);
  const name = r.at("name").string({ pattern: NAME, patternText: NAME_TEXT });
  const description = r.at("description").string();
  const platform = r.at("platform").oneOf(PLATFORMS, { optional: true }) ?? "docker";
  const timeScale = r.at("timeScale").number({ optional: true, min: 0, exclusiveMin: true }) ?? 1;
  const database = r.at("database").boolean({ optional: true }) ?? true;
  const versions = new Map(r.at("versions").entries((v, role) => readVersion(v, role)));
  if (r.has("versions") && versions.size === 0) r.at("versions").problem("must name at least one version, e.g. stable: { image: app, tag: good-1 }");
  const roles = [...versions.keys()];
  const monitor = readMonitor(r.at("monitor"), roles);
  const spec = readSpecOverrides(r, file);
  const environment = r.at("environment").string({ optional: true });
  if (environment !== undefined && spec && !spec.environments.has(environment)) {
    r.at("environment").problem(`must be an environment of the deployment document (${[...spec.environments.keys()].join(", ")}), got "${environment}"`);
  }
  const strategy = readStrategy(r.at("strategy"));
  if (strategy) {
    for (const role of ["stable", "candidate"]) {
      if (r.has("versions") && !versions.has(role)) r.at("versions").problem(`must declare a "${role}" version: the ${strategy.name} strategy moves traffic from stable to candidate`);
    }
  }
  const load = readLoadProfile(r.at("load"), strategy ? [...roles, "router"] : roles);
  const stageNames = strategy && spec ? stagesFor(strategy.name, spec).map((s) => s.name) : [];
  // Entries that could not be read are left out of the lists, so each keeps its index in the file for problems.
  const indexedSteps = r.at("steps").list((s, index) => withIndex(readStep(s, roles), index), { nonEmpty: !strategy, optional: !!strategy });
  const steps = indexedSteps.map((s) => s.value);
  // Names as written, so a step that failed to read for another reason is not also reported as missing.
  const rawSteps = r.at("steps").value;
  const stepNames = Array.isArray(rawSteps)
    ? rawSteps.map((s) => (s as { name?: unknown } | null)?.name).filter((n): n is string => typeof n === "string")
    : [];
  checkStepNames(r.at("steps"), indexedSteps);
  const indexedExpectations = r.at("expect").list((e, i) => withIndex(readExpectation(e, i, roles, stepNames, { strategy: strategy !== undefined, stageNames, load: load !== undefined }), i), { nonEmpty: true });
  const expectations = indexedExpectations.map((e) => e.value);
  const ids = new Set<string>();
  indexedExpectations.forEach(({ value: e, index }) => {
    if (ids.has(e.id)) r.at("expect").at(index).at("id").problem(`repeats the id "${e.id}": ids must be unique`);
    ids.add(e.id);
  });
  checkKubernetesOnly(r, platform, indexedSteps, indexedExpectations);
  if (!name || !description || !spec) return undefined;
  // Replicas left out come from the environment's in the document (1 without an environment).
  const envReplicas = environment ? spec.environments.get(environment)?.replicas : undefined;
  for (const [role, v] of versions) if (v.replicas === 0) versions.set(role, { ...v, replicas: envReplicas ?? 1 });
  if (indexedExpectations.some((e) => e.value.kind === "deployment") && environment === undefined) {
    r.at("environment").problem("must name an environment of the document: a deployment expectation checks against it");
  }
  return { file, name, description, environment, spec, strategy, load, platform, timeScale, database, versions, monitor, steps, expectations };
}

function readSpecOverrides(r: Reader, file: string): DeploymentSpec | undefined {
  const overrides = r.at("spec");
  if (overrides.value !== undefined && !overrides.isObject()) {
    overrides.problem("must be a mapping of the deployment document's values to override, e.g. { rollback: { strategy: gradual } }");
    return undefined;
  }
  try {
    return loadDeploymentSpec(overrides.value === undefined ? undefined : { value: overrides.value, file, path: "spec" });
  } catch (e) {
    if (e instanceof HarnessError) {
      for (const line of e.message.split("\n")) {
        const m = /^.*?: (\S+) (.*)$/.exec(line);
        r.problem(m ? m[2]! : line, m ? m[1]! : "spec");
      }
      return undefined;
    }
    throw e;
  }
}

const STRATEGY_DEFAULTS = { intervalMs: 60_000, windowMs: 60_000, latency: "p95", minRequests: 10 } as const;

function readStrategy(r: Reader): StrategySpec | undefined {
  if (r.value === undefined) return undefined;
  if (typeof r.value === "string") {
    const name = r.oneOf(STRATEGIES);
    return name ? { name, ...STRATEGY_DEFAULTS } : undefined;
  }
  r.keys(["name", "interval", "window", "latency", "minRequests"]);
  const name = r.at("name").oneOf(STRATEGIES);
  const intervalMs = r.at("interval").duration({ optional: true, min: 1 }) ?? STRATEGY_DEFAULTS.intervalMs;
  const windowMs = r.at("window").duration({ optional: true, min: 1 }) ?? STRATEGY_DEFAULTS.windowMs;
  const latency = r.at("latency").oneOf(LATENCY_STATISTICS, { optional: true }) ?? STRATEGY_DEFAULTS.latency;
  const minRequests = r.at("minRequests").number({ optional: true, integer: true, min: 1 }) ?? STRATEGY_DEFAULTS.minRequests;
  return name ? { name, intervalMs, windowMs, latency, minRequests } : undefined;
}

function readVersion(r: Reader, role: string): VersionSpec | undefined {
  r.keys(["image", "tag", "replicas", "faults"]);
  const image = r.at("image").oneOf(["app"]);
  const tag = r.at("tag").string({ pattern: NAME, patternText: 'a version of the reference service like "good-1"' });
  const replicas = r.at("replicas").number({ optional: true, integer: true, min: 1, max: 10 }) ?? 0;
  const faults = r.has("faults") ? readFaultSettings(r.at("faults")) : {};
  if (faults?.failHealthChecks !== undefined) r.at("faults").at("failHealthChecks").problem("can only be set at run time, by a step with fault: { type: set-faults }");
  if (!image || !tag || !faults) return undefined;
  return { role, image, tag, replicas, faults };
}

/** Each fault knob and how it is read; the same names as the reference service's admin endpoint. */
const FAULT_KNOBS: { [K in keyof Required<FaultSettings>]: (r: Reader) => FaultSettings[K] | undefined } = {
  errorRate: (r) => r.number({ optional: true, min: 0, max: 1 }),
  latencyMs: (r) => r.number({ optional: true, min: 0 }),
  latencyJitterMs: (r) => r.number({ optional: true, min: 0 }),
  readinessFail: (r) => r.boolean({ optional: true }),
  livenessFail: (r) => r.boolean({ optional: true }),
  crashAfterSeconds: (r) => r.number({ optional: true, min: 0 }),
  failHealthChecks: (r) => r.number({ optional: true, integer: true, min: 0 }),
};

function readFaultSettings(r: Reader): FaultSettings | undefined {
  const names = Object.keys(FAULT_KNOBS) as Array<keyof FaultSettings>;
  r.keys(names);
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = FAULT_KNOBS[name](r.at(name));
    if (value !== undefined) out[name] = value;
  }
  return out as FaultSettings;
}

function readRole(r: Reader, roles: string[]): string | undefined {
  if (r.value !== undefined && typeof r.value === "string" && roles.length > 0 && !roles.includes(r.value)) {
    r.problem(`must name a version declared under versions (${roles.join(", ")}), got "${r.value}"`);
    return undefined;
  }
  return r.string();
}

const PATH = /^\/[A-Za-z0-9/_.:-]*$/;

function readMonitor(r: Reader, roles: string[]): MonitorSpec {
  if (r.value === undefined) return { intervalMs: 500, targets: [] };
  r.keys(["interval", "targets"]);
  const intervalMs = r.at("interval").duration({ optional: true, min: 10 }) ?? 500;
  const targets = r.at("targets").list(
    (t) => {
      t.keys(["version", "paths"]);
      const version = readRole(t.at("version"), roles);
      const paths = t.at("paths").list((p) => p.string({ pattern: PATH, patternText: 'an absolute path like "/health"' }), { nonEmpty: true });
      return version ? { version, paths } : undefined;
    },
    { nonEmpty: true },
  );
  return { intervalMs, targets };
}

function readStep(r: Reader, roles: string[]): Step | undefined {
  r.keys(["name", "fault", "undo", "action", "observe"]);
  const name = r.at("name").string({ pattern: NAME, patternText: NAME_TEXT });
  const fault = r.has("fault") ? readFault(r.at("fault"), roles) : undefined;
  const undo = r.at("undo").string({ optional: true });
  const action = r.has("action") ? readAction(r.at("action"), roles) : undefined;
  const observeMs = r.at("observe").duration({ min: 1 });
  if ([fault, undo, action].filter((x) => x !== undefined).length > 1) r.problem("has more than one of fault, undo and action: use one step for each");
  if (!name || observeMs === undefined) return undefined;
  return { name, observeMs, ...(fault ? { fault } : {}), ...(undo ? { undo } : {}), ...(action ? { action } : {}) };
}

function readAction(r: Reader, roles: string[]): ActionSpec | undefined {
  const type = r.at("type").oneOf(ACTION_TYPES);
  r.keys(type === "rollout" ? ["type", "version", "tag"] : ["type", "version"]);
  const role = readRole(r.at("version"), roles);
  if (type === "rollout") {
    const tag = r.at("tag").string({ pattern: NAME, patternText: 'a version of the reference service like "good-2"' });
    return role && tag ? { type, role, tag } : undefined;
  }
  return type && role ? { type, role } : undefined;
}

/** Steps and expectations that need Kubernetes make no sense on Docker: say so before anything starts. */
function checkKubernetesOnly(r: Reader, platform: PlatformName, steps: Array<{ value: Step; index: number }>, expectations: Array<{ value: Expectation; index: number }>): void {
  if (platform === "kind") return;
  const why = `needs Kubernetes: set platform: kind (this scenario's platform is ${platform})`;
  for (const { value, index } of steps) if (value.action) r.at("steps").at(index).at("action").problem(why);
  for (const { value, index } of expectations) if (value.kind === "pods" || value.kind === "deployment") r.at("expect").at(index).at(value.kind).problem(why);
}

function readFault(r: Reader, roles: string[]): FaultSpec | undefined {
  r.keys(["type", "version", "settings"]);
  const type = r.at("type").oneOf(FAULT_TYPES);
  if (type === "set-faults") {
    const role = readRole(r.at("version"), roles);
    const settings = readFaultSettings(r.at("settings"));
    return role && settings ? { type, role, settings } : undefined;
  }
  return type ? { type } : undefined;
}

function withIndex<T>(value: T | undefined, index: number): { value: T; index: number } | undefined {
  return value === undefined ? undefined : { value, index };
}

function checkStepNames(r: Reader, steps: Array<{ value: Step; index: number }>): void {
  const seen = new Map<string, Step>();
  steps.forEach(({ value: s, index: i }) => {
    if (seen.has(s.name)) r.at(i).at("name").problem(`repeats the step name "${s.name}": names must be unique`);
    if (s.undo !== undefined) {
      const target = seen.get(s.undo);
      if (!target) r.at(i).at("undo").problem(`must name an earlier step with a fault, got "${s.undo}"`);
      else if (!target.fault) r.at(i).at("undo").problem(`names step "${s.undo}", which has no fault to undo`);
    }
    seen.set(s.name, s);
  });
}

interface ExpectationContext {
  strategy: boolean;
  stageNames: string[];
  load: boolean;
}

const EXPECTATION_KINDS = ["probe", "metrics", "rollback", "promoted", "traffic", "thresholds", "health", "pods", "deployment"] as const;

function readExpectation(r: Reader, index: number, roles: string[], steps: string[], c: ExpectationContext): Expectation | undefined {
  r.keys(["id", "description", ...EXPECTATION_KINDS]);
  const id = r.at("id").string({ optional: true, pattern: NAME, patternText: NAME_TEXT }) ?? `expectation-${index + 1}`;
  const description = r.at("description").string({ optional: true });
  const base = { id, ...(description ? { description } : {}) };
  const kinds = EXPECTATION_KINDS.filter((k) => r.has(k));
  if (kinds.length !== 1) {
    r.problem(`must have exactly one of ${EXPECTATION_KINDS.join(", ")}; got ${kinds.length === 0 ? "none" : kinds.join(" and ")}`);
    return undefined;
  }
  const kind = kinds[0]!;
  if ((kind === "rollback" || kind === "promoted" || kind === "traffic") && !c.strategy) {
    r.at(kind).problem("needs a strategy: set strategy: canary or strategy: blue-green");
    return undefined;
  }
  if (kind === "thresholds" && !c.load) {
    r.at(kind).problem("needs a load: section whose thresholds it judges");
    return undefined;
  }
  if (kind === "rollback") {
    const rb = r.at("rollback");
    if (rb.value === "none") return { ...base, kind, none: true };
    rb.keys(["trigger", "stage"]);
    const trigger = rb.at("trigger").oneOf(["error_rate", "response_time", "health_check_failures"] as const, { optional: true });
    const stage = rb.at("stage").string({ optional: true });
    if (stage !== undefined && c.stageNames.length > 0 && !["pre-shift", ...c.stageNames].includes(stage)) {
      rb.at("stage").problem(`must be a stage of the strategy (${["pre-shift", ...c.stageNames].join(", ")}), got "${stage}"`);
    }
    return { ...base, kind, none: false, ...(trigger ? { trigger } : {}), ...(stage ? { stage } : {}) };
  }
  if (kind === "promoted") {
    if (r.at("promoted").value !== true) r.at("promoted").problem("must be true (use rollback: ... to expect a rollback)");
    return { ...base, kind };
  }
  if (kind === "traffic") {
    const shares = Object.fromEntries(r.at("traffic").entries((v) => v.number({ min: 0, max: 100 })));
    const total = Object.values(shares).reduce((a, b) => a + b, 0);
    if (Object.keys(shares).length > 0 && Math.abs(total - 100) > 1e-9) r.at("traffic").problem(`shares must add up to 100, got ${total}`);
    for (const role of Object.keys(shares)) if (!roles.includes(role)) r.at("traffic").at(role).problem(`must name a declared version (${roles.join(", ")})`);
    return { ...base, kind, shares };
  }
  if (kind === "thresholds") {
    const t = r.at("thresholds");
    const v = t.oneOf(["passed", "failed"] as const);
    return v ? { ...base, kind, passed: v === "passed" } : undefined;
  }
  if (kind === "health") {
    const h = r.at("health");
    h.keys(["version", "path", "status"]);
    const version = readRole(h.at("version"), roles);
    const path = h.at("path").string({ pattern: PATH, patternText: 'an absolute path like "/health"' });
    const status = h.at("status").number({ integer: true, min: 100, max: 599 });
    return version && path && status !== undefined ? { ...base, kind, version, path, status } : undefined;
  }
  if (kind === "deployment") {
    const d = r.at("deployment");
    d.keys(["version"]);
    const version = readRole(d.at("version"), roles);
    return version ? { ...base, kind, version } : undefined;
  }
  if (kind === "pods") return readPodsExpectation(r.at("pods"), base, roles, steps);
  if (r.has("probe")) {
    const p = r.at("probe");
    p.keys(["version", "path", "status", "during", "within", "failing"]);
    const version = readRole(p.at("version"), roles);
    const path = p.at("path").string({ pattern: PATH, patternText: 'an absolute path like "/ready"' });
    const status = p.at("status").number({ integer: true, min: 100, max: 599 });
    const during = p.at("during").string({ optional: true });
    if (during !== undefined && steps.length > 0 && !steps.includes(during)) {
      p.at("during").problem(`must name a step (${steps.join(", ")}), got "${during}"`);
    }
    const withinMs = p.at("within").duration({ optional: true });
    if (withinMs !== undefined && during === undefined) p.at("within").problem("needs during: the step whose start it counts from");
    const failing = p.at("failing").string({ optional: true });
    if (!version || !path || status === undefined) return undefined;
    return {
      ...base,
      kind: "probe",
      version,
      path,
      status,
      ...(during ? { during } : {}),
      ...(withinMs !== undefined ? { withinMs } : {}),
      ...(failing ? { failing } : {}),
    };
  }
  const m = r.at("metrics");
  m.keys(["version", "route"]);
  const version = readRole(m.at("version"), roles);
  const route = m.at("route").string({ pattern: PATH, patternText: 'a route like "/health"' });
  if (!version || !route) return undefined;
  return { ...base, kind: "metrics", version, route };
}

function readPodsExpectation(p: Reader, base: { id: string; description?: string }, roles: string[], steps: string[]): PodsExpectation | undefined {
  p.keys(["version", "during", "within", "ready", "endpoints", "restarted", "tag"]);
  const version = readRole(p.at("version"), roles);
  const during = p.at("during").string({ optional: true });
  if (during !== undefined && steps.length > 0 && !steps.includes(during)) p.at("during").problem(`must name a step (${steps.join(", ")}), got "${during}"`);
  const withinMs = p.at("within").duration({ optional: true });
  if (withinMs !== undefined && during === undefined) p.at("within").problem("needs during: the step whose start it counts from");
  const count = (c: Reader): PodCount | undefined => {
    if (c.value === "all" || c.value === "none") return c.value;
    if (c.value === undefined) return undefined;
    if (typeof c.value === "number") return c.number({ integer: true, min: 0 });
    c.problem(`must be all, none or a number of pods, got ${JSON.stringify(c.value)}`);
    return undefined;
  };
  const ready = count(p.at("ready"));
  const endpoints = count(p.at("endpoints"));
  const restarted = p.at("restarted").boolean({ optional: true });
  const tag = p.at("tag").string({ optional: true, pattern: NAME, patternText: 'a version of the reference service like "good-1"' });
  if (!["ready", "endpoints", "restarted", "tag"].some((k) => p.has(k))) {
    p.problem("must say what to check: one or more of ready, endpoints, restarted, tag");
  }
  if (!version) return undefined;
  return {
    ...base,
    kind: "pods",
    version,
    ...(during ? { during } : {}),
    ...(withinMs !== undefined ? { withinMs } : {}),
    ...(ready !== undefined ? { ready } : {}),
    ...(endpoints !== undefined ? { endpoints } : {}),
    ...(restarted !== undefined ? { restarted } : {}),
    ...(tag ? { tag } : {}),
  };
}
