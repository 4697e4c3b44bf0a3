import { HarnessError } from "../common/errors.js";
import { validate } from "../common/problems.js";
import type { DeploymentSpec } from "../document/deployment-types.js";
import { scenarioSchema } from "./schema-scenario.js";
import type { Scenario } from "./scenario.js";
import type { PipelineStage } from "./pipeline-plan.js";

/**
 * Each stage of a pipeline as a scenario of its own, written as a scenario
 * file would be and read by the same schema, so a stage is exactly what a
 * person could have written by hand:
 *
 * - smoke (development): the release on its environment's overlay and
 *   replicas; /health, /ready and the API polled, and a few API calls (reads
 *   and writes) that must all succeed; the Deployment must match the
 *   document's environment.
 * - integration (staging): the same, with a load phase whose k6-style
 *   thresholds are the document's first canary stage (error rate <1%, p95
 *   <500 ms) and must pass.
 * - blue-green (production): the document's blue-green strategy from what
 *   production runs to the release, its health checks and rollback triggers;
 *   the release must be promoted with no rollback. One replica per colour:
 *   on a 2-core machine the triggers judge the versions, not CPU contention
 *   (the environments' replica counts are checked by the other stages and
 *   the env-* scenarios).
 */
export interface StageInput {
  readonly pipeline: string;
  readonly release: string;
  readonly version: string;
  readonly production: string | undefined;
  readonly timeScale: number;
  readonly seed?: number;
  /** The file's `spec:` overrides, as written. */
  readonly specOverrides?: unknown;
}

const API_CALLS = [
  { method: "GET", path: "/api/evaluations", weight: 2 },
  { method: "POST", path: "/api/evaluations", body: { model: "gameday", benchmark: "pipeline", score: 0.9 }, weight: 1 },
];

export function stageScenarioRaw(input: StageInput, stage: PipelineStage, spec: DeploymentSpec): Record<string, unknown> {
  const common = {
    name: `${input.pipeline}-${stage.environment}`,
    tags: ["pipeline"],
    environment: stage.environment,
    platform: "kind",
    timeScale: input.timeScale,
    ...(input.seed !== undefined ? { seed: input.seed } : {}),
    ...(input.specOverrides !== undefined ? { spec: input.specOverrides } : {}),
  };
  const release = `release ${input.release} (${input.version})`;
  if (stage.check === "blue-green") {
    return {
      ...common,
      description: `${release} deployed to ${stage.environment} with the blue-green strategy over ${input.production}`,
      strategy: "blue-green",
      versions: { stable: { image: "app", tag: input.production, replicas: 1 }, candidate: { image: "app", tag: input.version, replicas: 1 } },
      load: { target: "router", executor: "constant-arrival-rate", rate: 100, duration: "30m", timeout: "5s", requests: API_CALLS },
      expect: [
        { id: "no-rollback", description: "no rollback trigger fired", rollback: "none" },
        { id: "promoted", description: `the release has all of ${stage.environment}'s traffic`, promoted: true },
        { id: "release-healthy", description: "every instance of the release answers /health", health: { role: "candidate", path: "/health", status: 200 } },
      ],
    };
  }
  const first = spec.canary.stages[0]?.successCriteria;
  const thresholds = {
    http_req_failed: [first?.errorRate ? `rate${first.errorRate.op}${first.errorRate.value}` : "rate<0.01"],
    http_req_duration: [first?.responseTime ? `${k6Statistic(first.responseTime.statistic)}${first.responseTime.op}${first.responseTime.value}` : "p(95)<500"],
  };
  const smoke = stage.check === "smoke";
  const observe = smoke ? "5m" : "10m";
  return {
    ...common,
    description: `${release} deployed to ${stage.environment}: ${smoke ? "smoke tests (/health, /ready, a few API calls)" : "integration tests (a load phase with thresholds)"}`,
    versions: { stable: { image: "app", tag: input.version } },
    monitor: { interval: "5s", targets: [{ role: "stable", paths: ["/health", "/ready", "/api/evaluations"] }] },
    load: {
      target: "stable",
      executor: "constant-arrival-rate",
      // The integration load is the harness's choice (the document sets its thresholds, not its rate): 30 req/s
      // keeps a 2-core machine that runs the cluster too out of saturation (at 50 the staging stage came out
      // inconclusive, the host's CPU 97-99% busy), and still gives the p95 hundreds of samples in a stage.
      rate: smoke ? 5 : 30,
      duration: observe,
      timeout: "5s",
      requests: API_CALLS,
      ...(smoke ? {} : { thresholds }),
    },
    steps: [{ name: stage.check, observe }],
    expect: [
      { id: "deployment-matches-document", description: `the Deployment matches ${stage.environment} in the document`, deployment: { role: "stable" } },
      { id: "alive", description: "/health answered 200 throughout", probe: { role: "stable", path: "/health", status: 200, during: stage.check } },
      { id: "ready", description: `/ready (which checks ${stage.database}) answered 200 throughout`, probe: { role: "stable", path: "/ready", status: 200, during: stage.check } },
      { id: "api-answers", description: "GET /api/evaluations answered 200 throughout", probe: { role: "stable", path: "/api/evaluations", status: 200, during: stage.check } },
      smoke
        ? { id: "api-calls-succeed", description: "every API call (reads and writes) succeeded", requests: { failed: "<=0%", dropped: 0 } }
        : { id: "thresholds-pass", description: "the load phase's thresholds (the document's first canary stage) passed", thresholds: "passed" },
    ],
  };
}

/** The document's latency statistic in k6's words: p95 -> p(95) (the document's default), avg stays. */
function k6Statistic(statistic: string | undefined): string {
  const m = /^p(\d+)$/.exec(statistic ?? "p95");
  return m ? `p(${m[1]})` : statistic!;
}

/** The stage's scenario, read by the scenario schema; a problem here is the harness's, not the file's. */
export function stageScenario(input: StageInput & { file: string }, stage: PipelineStage, spec: DeploymentSpec): Scenario {
  const raw = stageScenarioRaw(input, stage, spec);
  const result = validate(scenarioSchema(raw, spec), raw);
  if (!result.ok) {
    throw new HarnessError("INTERNAL", `the pipeline's ${stage.environment} stage is not a valid scenario: ${result.problems.map((p) => `${p.path.join(".")} ${p.message}`).join("; ")}`, {
      hint: "this is a harness bug: report it with the pipeline file",
    });
  }
  return { file: `${input.file}#${stage.environment}`, ...result.data };
}
