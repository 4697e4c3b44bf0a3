import { z } from "zod";
import { ALWAYS, asRecord, entries, list, obj, str } from "../common/fields.js";
import { HarnessError } from "../common/errors.js";
import { parseDurationMs } from "../common/duration.js";
import type { DeploymentSpec } from "../document/deployment-types.js";
import { DEFAULT_HEADROOM } from "../headroom/saturation.js";
import { REFUSAL_CODES } from "../approvals/approvals.js";
import { DEFAULT_MONITOR, knownTag, NAME, NAME_TEXT } from "./schema-versions.js";
import type { ListedApproval, PipelineExpectation, PipelineSpec, Scenario, VersionSpec } from "./scenario.js";
import type { PipelineStageStatus } from "../timeline/events.js";
import { uniqueIds } from "./schema-expectations.js";
import { planPipeline, type PipelineStage } from "./pipeline-plan.js";
import { stageScenario } from "./pipeline-stages.js";

/** Stage statuses an expectation may name. */
const STATUSES = ["passed", "failed", "inconclusive", "refused", "error", "skipped"] as const satisfies readonly PipelineStageStatus[];
export const PIPELINE_EXPECTATION_KINDS = ["pipeline", "gate"] as const;

/** By default every stage runs at 0.01: the blue-green's 300 s and 600 s stages take 3 s and 6 s. */
export const PIPELINE_TIME_SCALE = 0.01;

/** "-30m" (before the deployment starts), "+5m" (after): a signed wall duration. */
const offset = z.unknown().transform((v, ctx): number => {
  const m = typeof v === "string" ? /^\s*([+-])\s*(\S+)\s*$/.exec(v) : null;
  const ms = m ? parseDurationMs(m[2]) : undefined;
  if (!m || ms === undefined) {
    ctx.addIssue({ code: "custom", message: `must be a signed duration from the deployment's start like "-30m" (before) or "+5m" (after), got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return m[1] === "-" ? -ms : ms;
});

/**
 * A pipeline scenario file (`pipeline:` instead of versions, strategy and
 * steps): checked whole, with the branch's plan from the document, so an
 * expectation naming an environment the branch never deploys to is a
 * problem in the file, found before anything starts.
 */
export function pipelineSchema(raw: unknown, spec: DeploymentSpec, file: string, specOverrides: unknown) {
  const r = asRecord(raw) ?? {};
  const p = asRecord(r.pipeline) ?? {};
  let plan: PipelineStage[] | undefined;
  let planProblem: string | undefined;
  if (typeof p.branch === "string") {
    try {
      plan = planPipeline(spec, p.branch);
    } catch (e) {
      planProblem = e instanceof HarnessError ? `${e.message}: ${e.hint ?? ""}` : String(e);
    }
  }
  const environments = plan?.map((s) => s.environment) ?? [];
  const gated = plan?.filter((s) => s.gate).map((s) => s.environment) ?? [];
  const needsProduction = plan?.some((s) => s.check === "blue-green") ?? false;
  const environment = (among: () => readonly string[], what: string) =>
    str().superRefine((e, ctx) => {
      const known = among();
      if (plan && !known.includes(e)) ctx.addIssue({ code: "custom", message: `must be ${what} (${known.join(", ") || "none"}), got "${e}"` });
    });
  const planned = () => environment(() => environments, `an environment branch ${String(p.branch)} deploys to`);

  const approval = obj({
    by: str(),
    group: str(),
    release: str().optional(),
    environment: str().optional(),
    at: offset.optional(),
    comment: str().optional(),
  });
  const expectation = obj({
    id: str({ re: NAME, text: NAME_TEXT }),
    description: str().optional(),
    pipeline: obj({
      outcome: z.enum(["succeeded", "failed"]).optional(),
      stoppedAt: planned().optional(),
      stages: entries(z.enum(STATUSES))
        .superRefine((m, ctx) => {
          for (const e of Object.keys(asRecord(m) ?? {})) if (plan && !environments.includes(e)) ctx.addIssue({ code: "custom", path: [e], message: `must be an environment branch ${String(p.branch)} deploys to (${environments.join(", ")})` });
        }, ALWAYS)
        .optional(),
      untouched: list(str(), { nonEmpty: true }).optional(),
      rolledBack: z.boolean().optional(),
    })
      .superRefine((v, ctx) => {
        if (Object.keys(asRecord(v) ?? {}).length === 0) ctx.addIssue({ code: "custom", message: "must say something of the pipeline: outcome, stoppedAt, stages, untouched or rolledBack" });
      }, ALWAYS)
      .optional(),
    gate: obj({
      environment: environment(() => gated, `an environment with an approval gate on branch ${String(p.branch)}`),
      granted: z.boolean(),
      refusals: list(z.enum(REFUSAL_CODES), { nonEmpty: true }).optional(),
    }).optional(),
  })
    .superRefine((e, ctx) => {
      const given = PIPELINE_EXPECTATION_KINDS.filter((k) => asRecord(e)?.[k] !== undefined);
      if (given.length !== 1) ctx.addIssue({ code: "custom", message: `must have exactly one of ${PIPELINE_EXPECTATION_KINDS.join(", ")} (a pipeline scenario's expectations); got ${given.length === 0 ? "none" : given.join(" and ")}` });
    }, ALWAYS)
    .transform((e): PipelineExpectation => {
      const base = { id: e.id, ...(e.description !== undefined ? { description: e.description } : {}) };
      if (e.gate) return { ...base, kind: "gate", environment: e.gate.environment, granted: e.gate.granted, ...(e.gate.refusals ? { refusals: e.gate.refusals } : {}) };
      const o = e.pipeline!;
      return {
        ...base,
        kind: "pipeline",
        ...(o.outcome ? { outcome: o.outcome } : {}),
        ...(o.stoppedAt ? { stoppedAt: o.stoppedAt } : {}),
        ...(o.stages ? { stages: o.stages } : {}),
        ...(o.untouched ? { untouched: o.untouched } : {}),
        ...(o.rolledBack !== undefined ? { rolledBack: o.rolledBack } : {}),
      };
    });

  return obj({
    name: str({ re: NAME, text: NAME_TEXT }),
    description: str(),
    tags: z.array(str({ re: NAME, text: NAME_TEXT })).optional(),
    platform: z.literal("kind", { error: "must be kind: a pipeline deploys each environment's overlay on kind" }).optional(),
    timeScale: z.number().gt(0).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
    spec: z.unknown().optional(),
    pipeline: obj({
      branch: str().superRefine((_, ctx) => {
        if (planProblem) ctx.addIssue({ code: "custom", message: planProblem });
      }),
      release: str({ re: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, text: 'a release name like "v2.5.0"' }),
      version: knownTag(),
      production: knownTag().optional(),
      approvals: list(approval).optional(),
      trail: z.boolean().optional(),
    }).superRefine((v, ctx) => {
      if (needsProduction && asRecord(v)?.production === undefined) {
        ctx.addIssue({ code: "custom", path: ["production"], message: `is missing: branch ${String(p.branch)} deploys to production with blue-green, from the version production runs now (e.g. production: good-1)` });
      }
    }, ALWAYS),
    expect: list(expectation, { nonEmpty: true }).superRefine(uniqueIds, ALWAYS),
  }).transform((s): Omit<Scenario, "file"> => {
    const timeScale = s.timeScale ?? PIPELINE_TIME_SCALE;
    const input = {
      pipeline: s.name,
      release: s.pipeline.release,
      version: s.pipeline.version,
      production: s.pipeline.production,
      timeScale,
      file,
      ...(s.seed !== undefined ? { seed: s.seed } : {}),
      ...(specOverrides !== undefined ? { specOverrides } : {}),
    };
    const stages = plan!.map((stage) => ({ ...stage, scenario: stageScenario(input, stage, spec) }));
    const approvals: ListedApproval[] = (s.pipeline.approvals ?? []).map((a) => ({
      by: a.by,
      group: a.group,
      atOffsetMs: a.at ?? -60_000,
      ...(a.release ? { release: a.release } : {}),
      ...(a.environment ? { environment: a.environment } : {}),
      ...(a.comment ? { comment: a.comment } : {}),
    }));
    const pipeline: PipelineSpec = {
      branch: s.pipeline.branch,
      release: s.pipeline.release,
      version: s.pipeline.version,
      production: s.pipeline.production,
      approvals,
      trailApprovals: s.pipeline.trail ?? true,
      stages,
      expectations: s.expect,
    };
    const versions = new Map<string, VersionSpec>();
    if (s.pipeline.production) versions.set("production", { role: "production", image: "app", tag: s.pipeline.production, replicas: 1, faults: {} });
    versions.set("release", { role: "release", image: "app", tag: s.pipeline.version, replicas: 1, faults: {} });
    return {
      name: s.name,
      description: s.description,
      tags: s.tags ?? [],
      environment: undefined,
      spec,
      strategy: undefined,
      load: undefined,
      platform: "kind",
      cluster: { workers: 0 },
      timeScale,
      ...(s.seed !== undefined ? { seed: s.seed } : {}),
      headroom: DEFAULT_HEADROOM,
      database: true,
      versions,
      monitor: DEFAULT_MONITOR,
      steps: [],
      expectations: [],
      backups: [],
      pipeline,
    };
  });
}
