import { errorMessage } from "../common/errors.js";
import { parsePrometheusText, sumSamples } from "../probes/prometheus-text.js";
import type { Expectation, MetricsExpectation, ProbeExpectation } from "../scenario/scenario.js";
import type { EventOf, Stamped, TimelineEvent } from "../timeline/events.js";

/** What the checker judges from: the timeline and what was read from the services themselves. */
export interface Evidence {
  readonly events: readonly Stamped<TimelineEvent>[];
  /** Role to the version it ran. */
  readonly versions: ReadonlyMap<string, string>;
  /** Role to the /metrics text of each of its instances, read at the end of the run. */
  readonly metrics: ReadonlyMap<string, readonly string[]>;
}

export interface Judgement {
  id: string;
  description: string;
  held: boolean;
  evidence: string;
}

/** Fewer observations than this in a window cannot show that a status held. */
export const MIN_OBSERVATIONS = 3;

export function judge(e: Expectation, evidence: Evidence): Judgement {
  const description = e.description ?? describeExpectation(e);
  const { held, evidence: text } = e.kind === "probe" ? judgeProbe(e, evidence) : judgeMetrics(e, evidence);
  return { id: e.id, description, held, evidence: text };
}

export function describeExpectation(e: Expectation): string {
  if (e.kind === "metrics") return `${e.version}'s /metrics counts every answered request to ${e.route}, labelled with its version`;
  const when = e.during ? ` during ${e.during}` : " throughout the run";
  const within = e.withinMs !== undefined ? ` within ${e.withinMs / 1000}s of its start and from then on` : "";
  const failing = e.failing ? `, naming ${e.failing} as failing` : "";
  return `${e.version} ${e.path} answers ${e.status}${failing}${when}${within}`;
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
  const settleAt = window.start + (e.withinMs ?? 0) / 1000;
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
          ? `first ${e.status} came ${(first.t - window.start).toFixed(2)}s after ${e.during} started, later than ${e.withinMs / 1000}s`
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
