import { TimeScale } from "../common/clock.js";
import { parseCpu, parseMemory } from "../document/deployment-spec.js";
import type { Expectation } from "../scenario/scenario.js";
import type { EventOf, Stamped } from "../timeline/events.js";
import { formatNetworkRules, scaleProgressDeadline } from "../model/kubernetes.js";
import { timeScaleOf, type Evidence, type ExpectationKind, type Verdict } from "./evidence.js";

function judgeDeployment(e: Extract<Expectation, { kind: "deployment" }>, evidence: Evidence): Verdict {
  const observed = evidence.events.find((ev): ev is Stamped<EventOf<"deployment.observed">> => ev.type === "deployment.observed" && ev.role === e.version);
  const env = evidence.environment ? evidence.spec?.environments.get(evidence.environment) : undefined;
  if (!observed) return { held: false, evidence: `${e.version} was never deployed in a cluster (no deployment.observed event)` };
  if (!env || !evidence.spec) return { held: false, evidence: "the scenario names no environment of the document to compare with" };
  const scale = timeScaleOf(evidence);
  const d = observed.deployment;
  const checks: Array<[string, boolean]> = [
    [`replicas ${d.replicas} (document: ${env.replicas})`, d.replicas === env.replicas],
    [`ready ${d.readyReplicas}/${d.replicas}`, d.readyReplicas === d.replicas],
    [`cpu limit ${d.limits.cpu ?? "none"} (document: ${env.cpu.text})`, d.limits.cpu !== undefined && parseCpu(d.limits.cpu) === env.cpu.value],
    [`memory limit ${d.limits.memory ?? "none"} (document: ${env.memory.text})`, d.limits.memory !== undefined && parseMemory(d.limits.memory) === env.memory.value],
  ];
  for (const [name, live, doc] of [
    ["liveness", d.liveness, evidence.spec.probes.liveness],
    ["readiness", d.readiness, evidence.spec.probes.readiness],
  ] as const) {
    const delay = new TimeScale(scale).toWallSeconds(doc.initialDelayMs / 1000, 0);
    checks.push([
      `${name} ${live ? `${live.path}:${live.port} after ${live.initialDelaySeconds}s` : "missing"} (document: ${doc.path}:${doc.port} after ${doc.initialDelayMs / 1000}s${scale !== 1 ? `, ${delay}s at time scale ${scale}` : ""})`,
      live !== null && live.path === doc.path && Number(live.port) === doc.port && live.initialDelaySeconds === delay,
    ]);
  }
  // performance-config.yml: the container's limits within resource_limits, the surge bound and the progress deadline.
  const perf = evidence.spec.performance;
  checks.push(
    [`cpu limit within ${perf.resourceLimits.cpu.text} (resource_limits)`, d.limits.cpu !== undefined && (parseCpu(d.limits.cpu) ?? Infinity) <= perf.resourceLimits.cpu.value],
    [`memory limit within ${perf.resourceLimits.memory.text} (resource_limits)`, d.limits.memory !== undefined && (parseMemory(d.limits.memory) ?? Infinity) <= perf.resourceLimits.memory.value],
    [`max surge ${d.maxSurge ?? "default (25%)"} (document: max_concurrent_pods ${perf.maxConcurrentPods})`, d.maxSurge === perf.maxConcurrentPods],
  );
  const deadline = scaleProgressDeadline(perf.readinessTimeoutMs / 1000, scale);
  checks.push([
    `progress deadline ${d.progressDeadlineSeconds ?? "default (600)"}s (document: readiness_timeout ${perf.readinessTimeoutMs / 1000}s${scale !== 1 ? `, ${deadline}s at time scale ${scale}` : ""})`,
    d.progressDeadlineSeconds === deadline,
  ]);
  // secrets-management.yml's access_control: rbac: the pods run under an identity of their own, with no API token they do not use.
  if (evidence.spec.secrets.accessControl === "rbac") {
    checks.push([
      `service account ${d.serviceAccount ?? "default"}, API token ${d.automountToken === false ? "not mounted" : "mounted"} (document: access_control rbac)`,
      d.serviceAccount !== undefined && d.serviceAccount !== "default" && d.automountToken === false,
    ]);
  }
  // network-policies.yml: the policies that select the pods have the document's rules, peer for peer and port for port.
  const doc = evidence.spec.networkPolicies;
  if (d.networkPolicy && doc.ingress.length + doc.egress.length > 0) {
    const live = d.networkPolicy;
    const same = JSON.stringify([live.ingress, live.egress]) === JSON.stringify([doc.ingress, doc.egress]);
    const text = (r: { ingress: readonly { peers: readonly string[]; ports: readonly number[] }[]; egress: readonly { peers: readonly string[]; ports: readonly number[] }[] }) =>
      `ingress ${formatNetworkRules(r.ingress, "from")}; egress ${formatNetworkRules(r.egress, "to")}`;
    checks.push([
      `network policy ${live.policies.length ? live.policies.join(", ") : "none (pods not isolated)"}: ${text(live)} (document: ${text(doc)})`,
      live.policies.length > 0 && same,
    ]);
  }
  // performance-config.yml's autoscaling, where the run left the replicas to an autoscaler.
  if (d.autoscaler) {
    const a = d.autoscaler;
    const want = perf.autoscaling;
    checks.push([
      `autoscaler ${a.min}-${a.max} replicas at CPU ${a.cpuTarget ?? "none"}%, memory ${a.memoryTarget ?? "none"}% (document: ${want.minReplicas}-${want.maxReplicas} at ${want.targetCpu}%, ${want.targetMemory}%)`,
      a.min === want.minReplicas && a.max === want.maxReplicas && a.cpuTarget === want.targetCpu && a.memoryTarget === want.targetMemory,
    ]);
  }
  const failed = checks.filter(([, ok]) => !ok);
  return {
    held: failed.length === 0,
    evidence: `${d.name} in ${observed.source}: ${checks.map(([text, ok]) => `${ok ? "" : "MISMATCH "}${text}`).join("; ")}`,
  };
}

export const deployment = {
  describe: (e) => `${e.version}'s live Deployment has the replicas, resources and probes the document gives its environment, performance-config.yml's limits, surge bound and progress deadline, a ServiceAccount of its own with no API token mounted (access_control: rbac) and network-policies.yml's rules on its pods`,
  judge: judgeDeployment,
} satisfies ExpectationKind<"deployment">;
