import { TimeScale } from "../common/clock.js";
import { errorMessage } from "../common/errors.js";
import { parsePrometheusText, sumSamples } from "../probes/prometheus-text.js";
import { parseComparison } from "../document/comparison.js";
import type { DeploymentSpec } from "../document/deployment-spec.js";
import { parseCpu, parseMemory } from "../document/deployment-spec.js";
import type { Expectation, MetricsExpectation, PodCount, PodsExpectation, ProbeExpectation } from "../scenario/scenario.js";
import type { EventOf, Stamped, TimelineEvent } from "../timeline/events.js";

/** What the checker judges from: the timeline and what was read from the services themselves. */
export interface Evidence {
  readonly events: readonly Stamped<TimelineEvent>[];
  /** Role to the version it ran. */
  readonly versions: ReadonlyMap<string, string>;
  /** Role to the /metrics text of each of its instances, read at the end of the run. */
  readonly metrics: ReadonlyMap<string, readonly string[]>;
  /** The router's shares read back from it at the end of the run. */
  readonly finalShares?: Readonly<Record<string, number>>;
  /** "role path" to the status each instance answered at the end of the run (null: no answer). */
  readonly finalHealth?: ReadonlyMap<string, ReadonlyArray<number | null>>;
  /** The document's configuration the run used, and its environment: what deployment expectations compare with. */
  readonly spec?: DeploymentSpec;
  readonly environment?: string;
}

export interface Judgement {
  id: string;
  description: string;
  held: boolean;
  evidence: string;
}

/** Fewer observations than this in a window cannot show that a status held. */
export const MIN_OBSERVATIONS = 3;

type Verdict = { held: boolean; evidence: string };
type Judges = { [K in Expectation["kind"]]: (e: Extract<Expectation, { kind: K }>, evidence: Evidence) => Verdict };

/** One judge per kind of expectation: a new kind without a judge does not compile. */
const JUDGES: Judges = {
  probe: judgeProbe,
  metrics: judgeMetrics,
  rollback: judgeRollback,
  promoted: judgePromoted,
  traffic: judgeTraffic,
  thresholds: judgeThresholds,
  health: judgeHealth,
  pods: judgePods,
  deployment: judgeDeployment,
};

export function judge(e: Expectation, evidence: Evidence): Judgement {
  const description = e.description ?? describeExpectation(e);
  const { held, evidence: text } = (JUDGES[e.kind] as (x: Expectation, ev: Evidence) => Verdict)(e, evidence);
  return { id: e.id, description, held, evidence: text };
}

export function describeExpectation(e: Expectation): string {
  switch (e.kind) {
    case "metrics":
      return `${e.version}'s /metrics counts every answered request to ${e.route}, labelled with its version`;
    case "rollback":
      return e.none
        ? "no rollback: no trigger fired and no success criterion failed"
        : `rolled back${e.trigger ? ` by ${e.trigger}` : ""}${e.stage ? ` during ${e.stage}` : ""}, with the router's weights back on stable`;
    case "promoted":
      return "the candidate was promoted: the router sends it all traffic and no rollback happened";
    case "traffic":
      return `the router's weights, read back at the end: ${Object.entries(e.shares).map(([k, v]) => `${k} ${v}%`).join(", ")}`;
    case "thresholds":
      return `the load's k6-style thresholds ${e.passed ? "all passed" : "did not all pass"}`;
    case "health":
      return `at the end, every ${e.version} instance answers ${e.path} with ${e.status}`;
    case "deployment":
      return `${e.version}'s live Deployment has the replicas, resources and probes the document gives its environment`;
    case "pods": {
      const parts = [
        e.ready !== undefined ? `${e.ready} pods ready` : "",
        e.endpoints !== undefined ? `${e.endpoints} Service endpoints` : "",
        e.restarted === true ? "every pod restarted" : e.restarted === false ? "no pod restarted" : "",
        e.tag ? `every pod runs ${e.tag}` : "",
      ].filter(Boolean);
      return `${e.version}: ${parts.join(", ")}${e.during ? ` during ${e.during}` : " throughout the run"}${e.withinMs !== undefined ? ` within ${e.withinMs / 1000}s of its start and from then on` : ""}`;
    }
    case "probe":
      break;
  }
  const when = e.during ? ` during ${e.during}` : " throughout the run";
  const within = e.withinMs !== undefined ? ` within ${e.withinMs / 1000}s of its start and from then on` : "";
  const failing = e.failing ? `, naming ${e.failing} as failing` : "";
  return `${e.version} ${e.path} answers ${e.status}${failing}${when}${within}`;
}

/** Wall seconds per spec second of the run: `within` is spec time, event times are wall time. */
function timeScaleOf(evidence: Evidence): number {
  return evidence.events.find((ev): ev is Stamped<EventOf<"run.started">> => ev.type === "run.started")?.timeScale ?? 1;
}

function stepWindow(events: readonly Stamped[], step: string): { start: number; end: number } | undefined {
  const start = events.find((ev) => ev.type === "step.started" && ev.step === step)?.t;
  const end = events.find((ev) => ev.type === "step.finished" && ev.step === step)?.t;
  return start === undefined || end === undefined ? undefined : { start, end };
}

function matches(o: EventOf<"probe.observed">, e: ProbeExpectation): boolean {
  if (o.status !== e.status) return false;
  if (!e.failing) return true;
  const failing = (o.body as { failing?: unknown } | undefined)?.failing;
  return Array.isArray(failing) && failing.includes(e.failing);
}

function show(o: Stamped<EventOf<"probe.observed">>): string {
  const failing = (o.body as { failing?: unknown } | undefined)?.failing;
  return `${o.status ?? o.error ?? "no answer"}${Array.isArray(failing) ? ` failing=[${failing.join(",")}]` : ""} at ${o.t.toFixed(2)}s`;
}

function judgeProbe(e: ProbeExpectation, evidence: Evidence): { held: boolean; evidence: string } {
  let window = { start: 0, end: Infinity };
  if (e.during) {
    const w = stepWindow(evidence.events, e.during);
    if (!w) return { held: false, evidence: `step ${e.during} never ran to its end, so there is nothing to judge` };
    window = w;
  }
  const all = evidence.events.filter(
    (ev): ev is Stamped<EventOf<"probe.observed">> =>
      ev.type === "probe.observed" && ev.path === e.path && ev.target.startsWith(`${e.version}/`) && ev.t >= window.start && ev.t <= window.end,
  );
  const settleAt = window.start + ((e.withinMs ?? 0) / 1000) * timeScaleOf(evidence);
  const settled = all.filter((o) => o.t >= settleAt);
  if (settled.length < MIN_OBSERVATIONS) {
    return { held: false, evidence: `only ${settled.length} observation(s) of ${e.path} in the window (need ${MIN_OBSERVATIONS}): the monitor did not watch long enough` };
  }
  const bad = settled.filter((o) => !matches(o, e));
  let reached = "";
  if (e.withinMs !== undefined) {
    const first = all.find((o) => matches(o, e));
    if (!first || first.t > settleAt) {
      return {
        held: false,
        evidence: first
          ? `first ${e.status} came ${(first.t - window.start).toFixed(2)}s after ${e.during} started, later than ${(settleAt - window.start).toFixed(2)}s (${e.withinMs / 1000}s spec)`
          : `no observation answered ${e.status} during ${e.during}; seen: ${summarize(all)}`,
      };
    }
    reached = `first ${e.status} ${(first.t - window.start).toFixed(2)}s after ${e.during} started; `;
  }
  if (bad.length > 0) {
    return { held: false, evidence: `${reached}${bad.length} of ${settled.length} observations differed, first: ${show(bad[0]!)}; seen: ${summarize(settled)}` };
  }
  return { held: true, evidence: `${reached}${settled.length} of ${settled.length} observations answered ${e.status}${e.failing ? ` naming ${e.failing}` : ""}` };
}

function summarize(obs: readonly Stamped<EventOf<"probe.observed">>[]): string {
  const counts = new Map<string, number>();
  for (const o of obs) {
    const k = String(o.status ?? o.error ?? "no answer");
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}×${n}`).join(", ") || "nothing";
}

function judgeMetrics(e: MetricsExpectation, evidence: Evidence): { held: boolean; evidence: string } {
  const version = evidence.versions.get(e.version);
  const texts = evidence.metrics.get(e.version) ?? [];
  if (!version || texts.length === 0) return { held: false, evidence: `no /metrics was read from ${e.version}` };
  let counted = 0;
  let otherVersions = 0;
  try {
    for (const text of texts) {
      const samples = parsePrometheusText(text);
      counted += sumSamples(samples, "http_requests_total", { route: e.route, version });
      otherVersions += sumSamples(samples, "http_requests_total", { route: e.route }) - sumSamples(samples, "http_requests_total", { route: e.route, version });
    }
  } catch (err) {
    return { held: false, evidence: `/metrics of ${e.version} is not valid Prometheus text: ${errorMessage(err)}` };
  }
  const answered = evidence.events.filter(
    (ev) => ev.type === "probe.observed" && ev.path === e.route && ev.target.startsWith(`${e.version}/`) && ev.status !== null,
  ).length;
  if (answered === 0) return { held: false, evidence: `the harness got no answer from ${e.route} on ${e.version}, so there is nothing to count` };
  const held = counted >= answered && otherVersions === 0;
  return {
    held,
    evidence:
      `http_requests_total{route="${e.route}",version="${version}"} = ${counted}, requests answered to the harness = ${answered}` +
      (otherVersions > 0 ? `; ${otherVersions} counted under another version label` : ""),
  };
}

type Ev<T extends TimelineEvent["type"]> = Stamped<EventOf<T>>;
const of = <T extends TimelineEvent["type"]>(events: readonly Stamped[], type: T): Array<Ev<T>> => events.filter((e): e is Ev<T> => e.type === type);

function sharesText(shares: Readonly<Record<string, number>> | undefined): string {
  return shares ? Object.entries(shares).map(([k, v]) => `${k} ${v}%`).join(", ") : "never read";
}

/** The candidate's requests in the load stream between two times: requests, failures, worst per-second p95. */
function candidateLoad(evidence: Evidence, from: number, to: number): { requests: number; failed: number; worstP95: number } {
  const version = evidence.versions.get("candidate");
  const started = of(evidence.events, "load.started")[0]?.t ?? 0;
  const rows = of(evidence.events, "load.second").filter((r) => r.version === version && started + r.second >= from - 1 && started + r.second <= to);
  return {
    requests: rows.reduce((a, r) => a + r.requests, 0),
    failed: rows.reduce((a, r) => a + r.failed, 0),
    worstP95: rows.reduce((a, r) => Math.max(a, r.requests > 0 ? r.p95 : 0), 0),
  };
}

function judgeRollback(e: Extract<Expectation, { kind: "rollback" }>, evidence: Evidence): Verdict {
  const decided = of(evidence.events, "rollback.decided");
  if (e.none) {
    if (decided.length > 0) return { held: false, evidence: `rolled back during ${decided[0]!.stage}: ${decided[0]!.reason}` };
    const finished = of(evidence.events, "strategy.finished")[0];
    if (!finished) return { held: false, evidence: "the strategy never finished, so it cannot be said that nothing fired" };
    const analyses = of(evidence.events, "analysis.evaluated").length;
    return { held: analyses > 0, evidence: `no rollback in ${analyses} analyses; strategy finished ${finished.result}` };
  }
  const d = decided[0];
  if (!d) {
    const last = of(evidence.events, "analysis.evaluated").at(-1);
    return {
      held: false,
      evidence: `no rollback happened${last ? `; last analysis (${last.stage}): error rate ${last.errorRate === null ? "n/a" : `${(last.errorRate * 100).toFixed(2)}%`}, ${last.statistic} ${last.latencyMs === null ? "n/a" : `${Math.round(last.latencyMs)}ms`}, ${last.healthFailures} health failures` : ""}`,
    };
  }
  const problems: string[] = [];
  if (e.trigger && d.trigger !== e.trigger) problems.push(`fired by ${d.trigger}, not ${e.trigger}`);
  if (e.stage && d.stage !== e.stage) problems.push(`during ${d.stage}, not ${e.stage}`);
  // Independent evidence 1: the router itself, read back after the decision.
  const backOnStable = of(evidence.events, "router.observed").find((o) => o.t >= d.t && (o.shares.candidate ?? 0) === 0);
  if (!backOnStable) problems.push(`the router was never read back with the candidate at 0% after the decision (final: ${sharesText(evidence.finalShares)})`);
  // Independent evidence 2: the load generator's own view of the candidate before the decision.
  let seen = "";
  if (of(evidence.events, "load.started").length > 0 && d.trigger !== "health_check_failures") {
    const stageStart = of(evidence.events, "stage.started").find((s) => s.stage === d.stage)?.t ?? 0;
    const load = candidateLoad(evidence, stageStart, d.t);
    if (load.requests === 0) problems.push("the load generator saw no candidate request before the decision");
    else if (d.trigger === "error_rate") {
      const rate = load.failed / load.requests;
      seen = `; load generator saw the candidate fail ${load.failed} of ${load.requests} (${(rate * 100).toFixed(1)}%)`;
      if (load.failed === 0) problems.push(`the load generator saw no candidate failure before the decision (${load.requests} requests)`);
    } else {
      seen = `; load generator saw candidate p95 up to ${Math.round(load.worstP95)}ms`;
      const ms = parseComparison(d.threshold)?.value ?? 0;
      if (load.worstP95 <= ms) problems.push(`the load generator's candidate p95 (${Math.round(load.worstP95)}ms) never passed ${d.threshold}`);
    }
  }
  const text = `rolled back during ${d.stage} by ${d.trigger} (${d.source}): ${d.reason}; router read back ${backOnStable ? sharesText(backOnStable.shares) : "n/a"} at ${backOnStable ? (backOnStable.t - d.t).toFixed(2) : "?"}s after the decision${seen}`;
  return problems.length ? { held: false, evidence: `${problems.join("; ")}. ${text}` } : { held: true, evidence: text };
}

function lastLoadVersions(evidence: Evidence, seconds: number): Record<string, number> | undefined {
  const rows = of(evidence.events, "load.second").filter((r) => r.version !== "*");
  if (rows.length === 0) return undefined;
  const last = Math.max(...rows.map((r) => r.second));
  const counts: Record<string, number> = {};
  for (const r of rows) if (r.second > last - seconds && r.second < last && r.requests > 0) counts[r.version] = (counts[r.version] ?? 0) + r.requests;
  return counts;
}

function judgeTraffic(e: Extract<Expectation, { kind: "traffic" }>, evidence: Evidence): Verdict {
  const final = evidence.finalShares;
  if (!final) return { held: false, evidence: "the router's weights were not read back at the end" };
  const wrong = Object.entries(e.shares).filter(([role, share]) => Math.abs((final[role] ?? 0) - share) > 0.5);
  let served = "";
  const versions = lastLoadVersions(evidence, 2);
  if (versions) {
    served = `; the load's last full second went to ${Object.entries(versions).map(([v, n]) => `${v} ×${n}`).join(", ") || "nobody"}`;
    for (const [role, share] of Object.entries(e.shares)) {
      const version = evidence.versions.get(role);
      if (share === 0 && version && (versions[version] ?? 0) > 0) wrong.push([role, share]);
    }
  }
  return { held: wrong.length === 0, evidence: `router read back: ${sharesText(final)}${served}` };
}

function judgePromoted(_e: Extract<Expectation, { kind: "promoted" }>, evidence: Evidence): Verdict {
  const decided = of(evidence.events, "rollback.decided")[0];
  if (decided) return { held: false, evidence: `rolled back during ${decided.stage}: ${decided.reason}` };
  const final = evidence.finalShares;
  const candidateVersion = evidence.versions.get("candidate");
  const versions = lastLoadVersions(evidence, 2);
  const onlyCandidate = !versions || Object.keys(versions).every((v) => v === candidateVersion);
  const held = (final?.candidate ?? 0) === 100 && onlyCandidate;
  return {
    held,
    evidence: `router read back: ${sharesText(final)}${versions ? `; the load's last full second went to ${Object.entries(versions).map(([v, n]) => `${v} ×${n}`).join(", ")}` : ""}`,
  };
}

function judgeThresholds(e: Extract<Expectation, { kind: "thresholds" }>, evidence: Evidence): Verdict {
  const finished = of(evidence.events, "load.finished");
  if (finished.length === 0) return { held: false, evidence: "the load never finished, so its thresholds were not judged" };
  const all = finished.flatMap((f) => f.thresholds);
  const failed = all.filter((t) => !t.pass);
  const text = all.map((t) => `${t.metric} ${t.expression}: ${Math.round(t.observed * 1000) / 1000} ${t.pass ? "passed" : "FAILED"}`).join("; ") || "no thresholds";
  return { held: all.length > 0 && (failed.length === 0) === e.passed, evidence: text };
}

function judgeHealth(e: Extract<Expectation, { kind: "health" }>, evidence: Evidence): Verdict {
  const statuses = evidence.finalHealth?.get(`${e.version} ${e.path}`) ?? [];
  if (statuses.length === 0) return { held: false, evidence: `${e.path} of ${e.version} was not probed at the end` };
  return { held: statuses.every((s) => s === e.status), evidence: `${e.version} instances answered ${statuses.map((s) => s ?? "no answer").join(", ")}` };
}

type PodsState = Stamped<EventOf<"pods.observed">>;

/** The replicas the role's Deployment asks for, from the deployment.observed event. */
function replicasOf(evidence: Evidence, role: string): number | undefined {
  const d = evidence.events.find((ev): ev is Stamped<EventOf<"deployment.observed">> => ev.type === "deployment.observed" && ev.role === role);
  return d?.deployment.replicas;
}

/** "all" is every replica (a rolling update's surge pod may make it more); a number is exact. */
function countHolds(want: PodCount, have: number, replicas: number): boolean {
  return want === "all" ? have >= replicas : want === "none" ? have === 0 : have === want;
}

function showState(s: PodsState): string {
  const pods = s.pods.map((p) => `${p.name.replace(/^.*-/, "")}:${p.ready ? "ready" : "unready"}/${p.restarts}r/${p.version}`).join(" ");
  return `at ${s.t.toFixed(1)}s ${s.pods.filter((p) => p.ready).length}/${s.pods.length} ready, ${s.endpoints} endpoint(s) [${pods}]`;
}

/**
 * Pods are observed on change: the state at a moment is the last observation
 * before it. Every state in effect from `within` after the step's start to
 * its end must show the counts; restarts compare the first state with the last.
 */
function judgePods(e: PodsExpectation, evidence: Evidence): Verdict {
  let window = { start: 0, end: Infinity };
  if (e.during) {
    const w = stepWindow(evidence.events, e.during);
    if (!w) return { held: false, evidence: `step ${e.during} never ran to its end, so there is nothing to judge` };
    window = w;
  }
  const replicas = replicasOf(evidence, e.version);
  if (replicas === undefined) return { held: false, evidence: `${e.version} was never deployed in a cluster (no deployment.observed event)` };
  const all = evidence.events.filter((ev): ev is PodsState => ev.type === "pods.observed" && ev.role === e.version);
  const settleAt = window.start + ((e.withinMs ?? 0) / 1000) * timeScaleOf(evidence);
  if (settleAt > window.end) return { held: false, evidence: `within ${(e.withinMs ?? 0) / 1000}s (spec) is longer than step ${e.during}, so nothing in it is judged` };
  const atSettle = all.filter((s) => s.t <= settleAt).pop();
  const states = [...(atSettle ? [atSettle] : []), ...all.filter((s) => s.t > settleAt && s.t <= window.end)];
  if (states.length === 0) return { held: false, evidence: `no observation of ${e.version}'s pods in the window` };
  const problems: string[] = [];
  for (const s of states) {
    const ready = s.pods.filter((p) => p.ready).length;
    if (e.ready !== undefined && !countHolds(e.ready, ready, replicas)) problems.push(`${ready} ready, not ${e.ready}`);
    else if (e.endpoints !== undefined && !countHolds(e.endpoints, s.endpoints, replicas)) problems.push(`${s.endpoints} endpoint(s), not ${e.endpoints}`);
    else if (e.tag !== undefined && !s.pods.every((p) => p.version === e.tag)) problems.push(`pods run ${[...new Set(s.pods.map((p) => p.version))].join(", ")}, not only ${e.tag}`);
    else continue;
    return { held: false, evidence: `${problems[0]} ${showState(s)}${e.withinMs !== undefined ? ` (${(s.t - window.start).toFixed(1)}s into ${e.during}, allowed ${(settleAt - window.start).toFixed(1)}s, ${e.withinMs / 1000}s spec)` : ""}` };
  }
  const first = states[0]!;
  const last = states[states.length - 1]!;
  if (e.restarted !== undefined) {
    // Counted from the state when the window opened, not when it settled: a restart may come before `within`.
    // A pod that appears in the window is counted from when it was first seen.
    const opening = all.filter((s) => s.t <= window.start).pop() ?? first;
    const inWindow = [opening, ...all.filter((s) => s.t > window.start && s.t <= window.end)];
    const baseline = new Map<string, number>();
    for (const s of inWindow) for (const p of s.pods) if (!baseline.has(p.name)) baseline.set(p.name, p.restarts);
    const restarted = last.pods.filter((p) => p.restarts > (baseline.get(p.name) ?? p.restarts)).map((p) => p.name);
    const replaced = opening.pods.map((p) => p.name).filter((name) => !last.pods.some((p) => p.name === name));
    const text = `${restarted.length} of ${last.pods.length} pods restarted in the window${replaced.length ? `, ${replaced.length} replaced` : ""}: ${showState(opening)} -> ${showState(last)}`;
    if (e.restarted && (restarted.length !== last.pods.length || last.pods.length === 0)) return { held: false, evidence: text };
    if (!e.restarted && (restarted.length > 0 || replaced.length > 0)) return { held: false, evidence: text };
  }
  return { held: true, evidence: `${states.length} state(s) observed, all as expected; ${showState(first)}${states.length > 1 ? ` ... ${showState(last)}` : ""}` };
}

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
  const failed = checks.filter(([, ok]) => !ok);
  return {
    held: failed.length === 0,
    evidence: `${d.name} in ${observed.source}: ${checks.map(([text, ok]) => `${ok ? "" : "MISMATCH "}${text}`).join("; ")}`,
  };
}
