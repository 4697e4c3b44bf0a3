import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditTrail, type AuditEntry } from "../audit/audit-trail.js";
import { deploymentMetricsText, doraMeasures } from "../audit/deployment-metrics.js";
import { errorMessage } from "../common/errors.js";
import type { RunAudit, RunResults } from "../report/results.js";
import type { Stamped } from "../timeline/events.js";

/**
 * What a finished run adds to the audit trail: the deployment it made (its
 * environment, versions, strategy, outcome and duration), each rollback with
 * its reason, and each database restore. A run that never got to deploy
 * (bad input, a machine that could not start it) adds nothing.
 */
export function auditEntries(results: RunResults, events: readonly Stamped[], environment: string | undefined): AuditEntry[] {
  // A version of the service started: a container or a Deployment in a role other than the database's.
  const deployed = events.some((e) => e.type === "resource.started" && (e.kind === "container" || e.kind === "deployment") && e.role !== "database");
  if (!deployed) return [];
  const env = auditEnvironment(results, environment);
  const at = (t: number) => new Date(new Date(results.startedAt).getTime() + t * 1000);
  const finished = events.find((e) => e.type === "run.finished");
  const outcome = results.verdict === "interrupted" ? "interrupted" : results.error ? "failed" : results.strategy?.result ?? (results.rollback ? "rolled-back" : "deployed");
  const out: AuditEntry[] = [];
  for (const e of events) {
    if (e.type === "backup.restored") out.push({ type: "restore", at: at(e.t), body: { run: results.runId, environment: env, backup: e.id, kind: e.kind, bytes: e.bytes, seconds: e.seconds } });
  }
  if (results.rollback) {
    const decided = events.find((e) => e.type === "rollback.decided");
    out.push({
      type: "rollback",
      at: at(decided?.t ?? results.wallSeconds),
      body: { run: results.runId, environment: env, reason: results.rollback.trigger, source: results.rollback.source, stage: results.rollback.stage, detail: results.rollback.reason, from: results.versions.candidate ?? null, to: results.versions.stable ?? null },
    });
  }
  out.push({
    type: "deployment",
    at: at(finished?.t ?? results.wallSeconds),
    body: {
      run: results.runId,
      scenario: results.scenario,
      environment: env,
      platform: results.platform,
      version: results.versions.candidate ?? results.versions.stable ?? Object.values(results.versions)[0] ?? null,
      versions: results.versions,
      strategy: events.find((e): e is Stamped & { type: "strategy.started" } => e.type === "strategy.started")?.strategy ?? null,
      outcome,
      verdict: results.verdict,
      startedAt: results.startedAt,
      durationSeconds: results.wallSeconds,
      specSeconds: results.specSeconds,
    },
  });
  return out;
}

/** The environment a run's records name: the scenario's, else the game day's on its platform. */
export function auditEnvironment(results: Pick<RunResults, "platform">, environment: string | undefined): string {
  return environment ?? `game-day-${results.platform}`;
}

/**
 * Appends the run's records to the audit trail, and writes the document's
 * deployment metrics, as of the trail with them, into the run folder
 * (metrics.prom). A trail that cannot be written does not change the run's
 * verdict; results.json says why it was not.
 */
export async function recordRun(results: RunResults, events: readonly Stamped[], environment: string | undefined, runDir: string, trail = new AuditTrail()): Promise<RunAudit> {
  try {
    const written = await trail.appendMany(auditEntries(results, events, environment));
    const records = trail.read();
    writeFileSync(join(runDir, "metrics.prom"), deploymentMetricsText(records));
    const last = written[written.length - 1];
    const env = auditEnvironment(results, environment);
    return { file: trail.file, records: written.map((r) => r.seq), ...(last ? { head: { seq: last.seq, chain: last.chain } } : {}), environment: env, dora: doraMeasures(records, env) };
  } catch (e) {
    return { file: trail.file, records: [], error: errorMessage(e) };
  }
}
