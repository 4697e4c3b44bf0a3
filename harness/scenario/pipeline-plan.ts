import { HarnessError } from "../common/errors.js";
import type { DeploymentSpec } from "../document/deployment-types.js";

/**
 * The document's deployment pipeline (its deploy.yml and the pipeline's
 * graph) as a plan: which environments a push to a branch deploys to, in
 * order, what each deployment is checked with, and where an approval gate
 * stands. deploy.yml: `develop` deploys to development (smoke tests), then
 * staging (integration tests); `main` requires manual approval, then deploys
 * to production with the blue-green strategy and its health checks. The
 * environment table adds `feature/*` (development only) and `hotfix/*`
 * (production, approval required).
 */

/** How a stage's deployment is checked. */
export type StageCheck =
  /** /health, /ready and a few API calls. */
  | "smoke"
  /** A load phase whose thresholds must pass. */
  | "integration"
  /** The blue-green strategy over the current production version, with its health checks and rollback triggers. */
  | "blue-green";

export interface PipelineStage {
  environment: string;
  /** The environment's own database (environments.yml): agi_eval_dev, agi_eval_staging, agi_eval_prod. */
  database: string;
  replicas: number;
  check: StageCheck;
  /** The approval gate before this stage, from approval-matrix.yml: how many approvals, from which groups. */
  gate?: { minimumApprovals: number; approvers: readonly string[] };
}

/** deploy.yml's jobs by branch, in the order they run. */
const JOBS: ReadonlyArray<{ branch: RegExp; text: string; stages: ReadonlyArray<{ environment: string; check: StageCheck }> }> = [
  { branch: /^develop$/, text: "develop", stages: [{ environment: "development", check: "smoke" }, { environment: "staging", check: "integration" }] },
  { branch: /^main$/, text: "main", stages: [{ environment: "production", check: "blue-green" }] },
  { branch: /^feature\/.+$/, text: "feature/*", stages: [{ environment: "development", check: "smoke" }] },
  { branch: /^hotfix\/.+$/, text: "hotfix/*", stages: [{ environment: "production", check: "blue-green" }] },
];

export function planPipeline(spec: DeploymentSpec, branch: string): PipelineStage[] {
  const job = JOBS.find((j) => j.branch.test(branch));
  if (!job) {
    throw new HarnessError("SCENARIO_INVALID", `no pipeline deploys branch "${branch}"`, { hint: `the document's pipeline deploys ${JOBS.map((j) => j.text).join(", ")}` });
  }
  return job.stages.map(({ environment, check }) => {
    const env = spec.environments.get(environment);
    if (!env) throw new HarnessError("SPEC_INVALID", `the pipeline deploys to ${environment}, and the document has no such environment`, { hint: "add it under environments:" });
    const approval = spec.approvals.get(environment);
    return {
      environment,
      database: env.database,
      replicas: env.replicas,
      check,
      ...(approval?.required ? { gate: { minimumApprovals: approval.minimumApprovals, approvers: approval.approvers } } : {}),
    };
  });
}
