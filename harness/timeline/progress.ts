import { formatDuration, formatSpan } from "../common/duration.js";
import type { EventOf, Stamped, TimelineEvent } from "./events.js";

type Formatters = { [T in TimelineEvent["type"]]: (e: EventOf<T>) => string | undefined };

/** One formatter per event type: a new event without a formatter does not compile. */
const FORMAT: Formatters = {
  "run.started": (e) => `run ${e.runId}: scenario ${e.scenario} on ${e.platform}, time scale ${e.timeScale}${e.seed !== undefined ? `, seed ${e.seed}` : ""}`,
  "run.finished": (e) => `${e.verdict.toUpperCase()} in ${formatDuration(e.wallSeconds * 1000)} (exit ${e.exitCode})`,
  "step.started": (e) =>
    `step ${e.step} (${e.kind})` +
    (e.specSeconds !== undefined && e.wallSeconds !== undefined
      ? `: ${formatDuration(e.specSeconds * 1000)} spec time, ${formatDuration(e.wallSeconds * 1000)} wall`
      : ""),
  "step.finished": () => undefined,
  "image.building": (e) => `building image ${e.image} (${e.reason})`,
  "image.ready": (e) => (e.source === "built" ? `image ${e.image} built in ${formatDuration(e.seconds * 1000)}: ${e.ref}` : undefined),
  "resource.started": (e) => `started ${e.role === e.kind ? "" : `${e.role} `}${e.kind} ${e.name}${e.seconds !== undefined ? ` in ${formatDuration(e.seconds * 1000)}` : ""}`,
  "resource.removed": () => undefined,
  "database.ready": (e) => `database ${e.database} ready on ${e.server}`,
  "pipeline.started": (e) => `pipeline: branch ${e.branch}, release ${e.release} (${e.version}): ${e.stages.map((s) => `${s.gate ? "approval gate, " : ""}${s.environment} (${s.check})`).join(" -> ")}`,
  "pipeline.stage.started": (e) => `pipeline stage ${e.environment}: ${e.check} on database ${e.database}`,
  "pipeline.gate": (e) => `approval gate before ${e.environment}: ${e.granted ? "GRANTED" : "REFUSED"}: ${e.reason}`,
  "pipeline.stage.finished": (e) => `pipeline stage ${e.environment} ${e.status.toUpperCase()}${e.reason ? `: ${e.reason}` : ""}`,
  "pipeline.promoted": (e) => `release ${e.release} promoted to ${e.to}`,
  "pipeline.finished": (e) => `pipeline ${e.outcome.toUpperCase()}${e.stoppedAt ? ` at ${e.stoppedAt} (the stage's line above says why)` : `: ${e.reason}`}`,
  "kubernetes.addon": (e) => `${e.name} running in kube-system (${e.image}, ${e.seconds.toFixed(1)} s)`,
  "kubernetes.network-policy": (e) => `NetworkPolicy ${e.policies.join(", ")} applied in ${e.namespace}${e.databaseAddresses.length ? ` (the database at ${e.databaseAddresses.join(", ")})` : ""}`,
  "kubernetes.identity": (e) => `acting in namespace ${e.namespace} as ${e.user} (Role ${e.role}: ${e.rules} rules, only the verbs the harness uses there)`,
  "cluster.ready": (e) =>
    e.external
      ? `cluster of context ${e.name} (not the harness's: it only makes and removes its run's namespaces there) answered in ${formatDuration(e.seconds * 1000)}`
      : `kind cluster ${e.name}${(e.nodes ?? 1) > 1 ? ` (${e.nodes} nodes)` : ""} ${e.created ? "created and" : "reused,"} ready in ${formatDuration(e.seconds * 1000)}`,
  "node.eviction": (e) => `pod ${e.pod} evicted from node ${e.node}${e.refusals ? ` after ${e.refusals} refusal(s) by its PodDisruptionBudget (${e.seconds.toFixed(1)} s)` : ""}`,
  "deployment.observed": (e) =>
    `deployment ${e.deployment.name} (${e.source}): ${e.deployment.readyReplicas}/${e.deployment.replicas} ready, limits ${Object.entries(e.deployment.limits).map(([k, v]) => `${k} ${v}`).join(" ") || "none"}`,
  "pods.observed": (e) =>
    `${e.role}: ${e.pods.filter((p) => p.ready).length}/${e.pods.length} pods ready, ${e.endpoints} endpoint(s), ${e.pods.reduce((n, p) => n + p.restarts, 0)} restart(s)` +
    (e.autoscaler ? `; autoscaler ${e.autoscaler.current} -> ${e.autoscaler.desired} (CPU ${e.autoscaler.cpu ?? "?"}% of requests, target ${e.autoscaler.cpuTarget ?? "?"}%)` : ""),
  "action.performed": (e) => `${e.action} on ${e.target}: ${e.detail}`,
  "probe.observed": () => undefined,
  "fault.injected": (e) => `fault ${e.fault} injected into ${e.target}: ${e.detail}`,
  "fault.undone": (e) => `fault ${e.fault} undone on ${e.target}${e.detail ? `: ${e.detail}` : ""}`,
  "instance.restarted": (e) => `${e.name} restarted by ${e.by} (restart ${e.restarts})${e.waiting ? `; it had been waiting: ${e.waiting}` : ""}`,
  "expectation.judged": (e) => `${e.held ? "✓" : e.inconclusive ? "?" : "✗"} ${e.id}: ${e.description}${e.held ? "" : `\n      ${e.evidence}`}${e.inconclusive ? `\n      inconclusive: ${e.inconclusive}` : ""}`,
  "strategy.started": (e) =>
    `${e.strategy}: ${e.stages.map((s) => `${s.name} ${s.percentage}%${s.specSeconds ? ` ${s.specSeconds}s` : ""}`).join(" -> ")}; analysis every ${e.intervalSeconds}s over ${e.windowSeconds}s, rollback ${e.rollbackStrategy}`,
  "operator.acted": (e) => `OPERATOR ${e.action}${e.id ? ` ${e.id}` : ""}: ${e.detail}`,
  "stage.started": (e) => `stage ${e.stage}: ${e.percentage}% of traffic to the candidate`,
  "analysis.evaluated": () => undefined,
  "stage.extended": (e) => `stage ${e.stage} not passed at its end: ${e.reason}; observing for up to ${e.extraSeconds.toFixed(1)} s more${e.requestsNeeded ? `, until it holds the ${e.requestsNeeded} requests that tell its error-rate thresholds` : ""}`,
  "stage.inconclusive": (e) => `stage ${e.stage} inconclusive: ${e.reason}; the promotion stops, traffic back to stable`,
  "health.checked": () => undefined,
  "rollback.decided": (e) => `ROLLBACK during ${e.stage} (${e.strategy}): ${e.reason}`,
  "rollback.step": (e) => `rollback step: candidate at ${e.candidatePercentage}%`,
  "rollback.completed": (e) => `rollback complete in ${formatDuration(e.seconds * 1000)}: all traffic on stable`,
  "notification.sent": (e) => `alert ${e.alertname} raised in Alertmanager for ${e.targets.join(" and ")}`,
  "notification.received": (e) => `${e.channel === "slack" ? `Slack ${e.to}` : `e-mail to ${e.to}`} got it ${formatDuration(e.afterSeconds * 1000)} after the alert: ${e.text.slice(0, 100)}`,
  "strategy.finished": (e) => `strategy finished: ${e.result}`,
  "router.observed": () => undefined,
  "load.started": (e) => `${loadName(e.phase)}: ${e.executor} against ${e.target}, ${e.plannedRequests} requests planned`,
  "load.second": () => undefined,
  "host.sampled": () => undefined,
  "budget.admitted": (e) =>
    !e.fit
      ? `started without waiting (--no-wait) beside ${e.beside.join(", ")}: ${e.cores} cores (${e.detail}) do not fit the machine's ${e.machineCores}; a saturated machine makes the verdict inconclusive`
      : e.waitedSeconds > 0
        ? `the machine has room now: ${e.cores} of its ${e.machineCores} cores (${e.detail}) after ${e.waitedSeconds.toFixed(1)} s waiting`
        : undefined,
  "load.finished": (e) =>
    `${loadName(e.phase)} finished (${e.stoppedBy}): ${e.requests} requests at ${e.achievedRate.toFixed(0)}/s, ${e.failed} failed` +
    e.thresholds.map((t) => `\n      ${t.pass ? "✓" : "✗"} ${t.metric}: ${t.expression} (observed ${Math.round(t.observed * 1000) / 1000})`).join(""),
  note: (e) => (e.level === "warn" ? `warning: ${e.message}` : e.message),
  "analysis.failed": (e) => `analysis of ${e.version} failed during ${e.stage} (${e.consecutiveErrors} of ${e.limit} in a row): ${e.error}`,
  "secret.rotation.started": (e) => `secret rotation ${e.n}: the secrets are ${formatSpan(e.everySpecSeconds)} old (spec time)`,
  "secret.password.changed": (e) =>
    `secret rotation ${e.n}: database password changed; old password ${e.oldPassword.refused ? "refused" : `NOT refused (${e.oldPassword.message})`}; ${e.pods.filter((p) => p.sessionAfterSeconds !== undefined).length}/${e.pods.length} pods connected with the new one`,
  "secret.key.rotated": (e) => `secret rotation ${e.n}: encryption key ${e.from[0]} -> ${e.to} (loaded after ${formatDuration(e.loadedAfterSeconds * 1000)}), ${e.rewritten} Secrets rewritten, ${e.from.join(", ")} removed`,
  "secret.rotation.finished": (e) => `secret rotation ${e.n} finished in ${formatDuration(e.seconds * 1000)}`,
  "secret.rotation.failed": (e) => `warning: secret rotation ${e.n} failed: ${e.error}`,
  "backup.taken": (e) => `backup ${e.id} (${e.kind}) taken in ${formatDuration(e.seconds * 1000)}: ${formatBytes(e.bytes)} encrypted`,
  "backup.failed": (e) => `warning: ${e.kind} backup failed: ${e.error}`,
  "backup.pruned": (e) => `backup ${e.id} (${e.kind}) pruned: ${formatSpan(e.ageSpecSeconds)} old (spec time), retention ${formatSpan(e.retentionSpecSeconds)}`,
  "backup.skipped": (e) => `backup ${e.id} (${e.kind}) skipped: ${e.reason}`,
  "backup.restored": (e) => `backup ${e.id} (${e.kind}, taken at ${formatSpan(e.takenAtSpecSeconds)} spec time) restored in ${formatDuration(e.seconds * 1000)}`,
  "recovery.phase": (e) => (e.phase === "disaster" ? `disaster: ${e.detail}` : `recovery, ${e.phase} ${formatDuration(e.sinceDisasterSeconds * 1000)} after the disaster: ${e.detail}`),
  "rows.read": (e) => `${e.table} read ${e.when === "restored" ? "after the restore" : "before the disaster"}: ${e.rows} rows`,
};

/** 1.2 MB, 340 kB, 512 B. */
function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(0)} kB` : `${n} B`;
}

/** "load", or "load steady" for a phase named in the scenario (the default phase is called "load"). */
function loadName(phase: string): string {
  return phase === "load" ? "load" : `load ${phase}`;
}

export function formatEvent(e: Stamped): string | undefined {
  const text = (FORMAT[e.type] as (ev: typeof e) => string | undefined)(e);
  return text === undefined ? undefined : `[${e.t.toFixed(1).padStart(6)}s] ${text}`;
}
