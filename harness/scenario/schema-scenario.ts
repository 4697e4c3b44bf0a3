import { z } from "zod";
import { ALWAYS, asRecord, obj, str } from "../common/fields.js";
import type { DeploymentSpec } from "../document/deployment-spec.js";
import { stagesFor } from "../document/stages.js";
import { DEFAULT_HEADROOM } from "../headroom/saturation.js";
import { loadProfileSchema } from "../load/profile.js";
import { BACKUP_KINDS, type BackupKind } from "../model/backup-kind.js";
import { PLATFORMS, type PlatformName } from "../model/platform-name.js";
import { STRATEGIES, type StrategyName } from "../model/strategy.js";
import { expectationsSchema } from "./schema-expectations.js";
import { workerIndex } from "../faults/node-faults.js";
import { stepsSchema } from "./schema-steps.js";
import { DEFAULT_MONITOR, monitorSchema, NAME, NAME_TEXT, strategySchema, versionsSchema } from "./schema-versions.js";
import type { Scenario } from "./scenario.js";

/**
 * The schema of a scenario file. Some checks depend on other parts of the
 * same file (roles named must be declared under versions, `during` must name
 * a step, a kind-only action needs platform: kind), so the schema is made
 * for the file: `scenarioSchema(raw, spec)` reads what those checks need from
 * the file as written, leniently, and the schema then checks everything at
 * once. `spec` is the deployment document with the file's `spec:` overrides
 * (or without them when they have problems, reported apart).
 */
/** Fault types that lose data: a restore must follow them. */
const DATA_LOSS: readonly string[] = ["database-loss", "database-truncate"];
/** Worker nodes a scenario may ask for: each is a node container with its kubelet and containerd (about 300 MiB and a share of the CPU). */
const MAX_WORKERS = 3;

export function scenarioSchema(raw: unknown, spec: DeploymentSpec) {
  const r = asRecord(raw) ?? {};
  const roles = Object.keys(asRecord(r.versions) ?? {});
  const platform: PlatformName = (PLATFORMS as readonly unknown[]).includes(r.platform) ? (r.platform as PlatformName) : "docker";
  const database = r.database !== false;
  const strategyName = (typeof r.strategy === "string" ? r.strategy : asRecord(r.strategy)?.name) as StrategyName | undefined;
  const strategy = r.strategy !== undefined;
  const stages = strategyName && STRATEGIES.includes(strategyName) ? ["pre-shift", ...stagesFor(strategyName, spec).map((s) => s.name)] : [];
  const steps = Array.isArray(r.steps) ? r.steps.map((s: unknown) => asRecord(s)?.name).filter((n): n is string => typeof n === "string") : [];
  const environments = [...spec.environments.keys()];
  const backups: BackupKind[] = r.backups === true ? [...BACKUP_KINDS] : Array.isArray(r.backups) ? r.backups.filter((k): k is BackupKind => (BACKUP_KINDS as readonly unknown[]).includes(k)) : [];
  const stepList = Array.isArray(r.steps) ? r.steps.map((s: unknown) => asRecord(s) ?? {}) : [];
  const restores = stepList.some((s) => asRecord(s.action)?.type === "restore-database");
  const damages = stepList.some((s) => asRecord(s.fault)?.type === "backup-damage");
  const disaster = stepList.some((s) => DATA_LOSS.includes(asRecord(s.fault)?.type as string));
  const rotation = r.rotation !== undefined && r.rotation !== false;

  return obj({
    name: str({ re: NAME, text: NAME_TEXT }),
    description: str(),
    tags: z.array(str({ re: NAME, text: NAME_TEXT })).optional(),
    environment: str()
      .superRefine((e, ctx) => {
        if (!environments.includes(e)) ctx.addIssue({ code: "custom", message: `must be an environment of the deployment document (${environments.join(", ")}), got "${e}"` });
      })
      .optional(),
    platform: z.enum(PLATFORMS).optional(),
    cluster: obj({ workers: z.number().int().min(0).max(MAX_WORKERS) }).optional(),
    timeScale: z.number().gt(0).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
    headroom: obj({
      cpu: z.number().gt(0).max(1).optional(),
      cpuSamples: z.number().int().min(1).optional(),
      stall: z.number().gt(0).max(1).optional(),
      loopDelayMs: z.number().gt(0).optional(),
      delivered: z.number().gt(0).max(1).optional(),
      lagMs: z.number().gt(0).optional(),
    }).optional(),
    database: z.boolean().optional(),
    /** Checked against the deployment document's schema by the reader (readDeploymentSpec). */
    spec: z.unknown().optional(),
    backups: z.union([z.literal(true), z.array(z.enum(BACKUP_KINDS)).nonempty()]).optional(),
    rotation: z.union([z.boolean(), obj({ times: z.number().int().min(1).optional() })]).optional(),
    strategy: strategySchema.optional(),
    versions: versionsSchema,
    monitor: monitorSchema(roles).optional(),
    load: loadProfileSchema([...roles, "router"], r.load).optional(),
    steps: stepsSchema({ roles, platform, database, optional: strategy }).optional(),
    expect: expectationsSchema({ roles, steps, platform, strategy, stages, load: r.load !== undefined, backups, recovery: disaster && restores && backups.includes("database"), rotation }),
  })
    .superRefine((_, ctx) => {
      const versions = asRecord(r.versions);
      if (strategyName && STRATEGIES.includes(strategyName) && versions) {
        for (const role of ["stable", "candidate"]) {
          if (!(role in versions)) ctx.addIssue({ code: "custom", path: ["versions"], message: `must declare a "${role}" version: the ${strategyName} strategy moves traffic from stable to candidate` });
        }
      }
      if (!strategy && r.steps === undefined) ctx.addIssue({ code: "custom", path: ["steps"], message: "is missing: expected a list" });
      if (damages && !backups.includes("database")) ctx.addIssue({ code: "custom", path: ["backups"], message: "must include database: a backup-damage step damages the run's database backups (backups: [database])" });
      if (restores && !backups.includes("database")) ctx.addIssue({ code: "custom", path: ["backups"], message: "must include database: a restore-database step restores the run's database backups (backups: [database])" });
      if (backups.length > 0 && !database) ctx.addIssue({ code: "custom", path: ["backups"], message: "needs the database: the scenario sets database: false" });
      const workers = Number(asRecord(r.cluster)?.workers ?? 0);
      stepList.forEach((step, i) => {
        const fault = asRecord(step.fault);
        if (typeof fault?.node !== "string" || workerIndex(fault.node) === 0 || workerIndex(fault.node) <= workers) return;
        ctx.addIssue({
          code: "custom",
          path: ["steps", i, "fault", "node"],
          message: `names worker node "${fault.node}", but the cluster has ${workers === 0 ? "no workers" : `${workers} worker(s)`}: give the scenario cluster: { workers: ${workerIndex(fault.node)} } or more`,
        });
      });
      if (r.cluster !== undefined && platform !== "kind") ctx.addIssue({ code: "custom", path: ["cluster"], message: `needs platform: kind: it shapes the kind cluster (the scenario runs on ${platform})` });
      if (rotation && platform !== "kind") ctx.addIssue({ code: "custom", path: ["rotation"], message: `needs platform: kind: a rotation replaces the cluster's encryption key (the scenario runs on ${platform})` });
      if (rotation && !database) ctx.addIssue({ code: "custom", path: ["rotation"], message: "needs the database: a rotation changes the database password, but the scenario sets database: false" });
      const deployment = Array.isArray(r.expect) && r.expect.some((e: unknown) => asRecord(e)?.deployment !== undefined);
      if (deployment && r.environment === undefined) {
        ctx.addIssue({ code: "custom", path: ["environment"], message: "must name an environment of the document: a deployment expectation checks against it" });
      }
    }, ALWAYS)
    .transform((s): Omit<Scenario, "file"> => {
      // Replicas left out come from the environment's in the document (1 without an environment).
      const replicas = (s.environment ? spec.environments.get(s.environment)?.replicas : undefined) ?? 1;
      const versions = new Map([...s.versions].map(([role, v]) => [role, v.replicas === 0 ? { ...v, replicas, replicasFromEnvironment: true as const } : v]));
      return {
        name: s.name,
        description: s.description,
        tags: s.tags ?? [],
        environment: s.environment,
        spec,
        strategy: s.strategy,
        load: s.load,
        platform: s.platform ?? "docker",
        cluster: { workers: s.cluster?.workers ?? 0 },
        timeScale: s.timeScale ?? 1,
        ...(s.seed !== undefined ? { seed: s.seed } : {}),
        headroom: { ...DEFAULT_HEADROOM, ...s.headroom },
        database: s.database ?? true,
        versions,
        monitor: s.monitor ?? DEFAULT_MONITOR,
        steps: s.steps ?? [],
        expectations: s.expect,
        backups: s.backups === true ? [...BACKUP_KINDS] : (s.backups ?? []),
        ...(s.rotation === true ? { rotation: {} } : typeof s.rotation === "object" ? { rotation: s.rotation.times !== undefined ? { times: s.rotation.times } : {} } : {}),
      };
    });
}
