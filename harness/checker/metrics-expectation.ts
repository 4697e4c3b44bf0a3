import { errorMessage } from "../common/errors.js";
import { parsePrometheusText, sumSamples } from "../probes/prometheus-text.js";
import type { MetricsExpectation } from "../scenario/scenario.js";
import type { Collected, Evidence, EvidenceSources, ExpectationKind, Verdict } from "./evidence.js";

function judgeMetrics(e: MetricsExpectation, evidence: Evidence): Verdict {
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

/** The role's own account of what it served, read from each instance's /metrics after the monitor stopped (so no probe is in flight). */
async function collectMetrics(e: MetricsExpectation, sources: EvidenceSources, into: Collected): Promise<void> {
  if (into.metrics.has(e.version)) return;
  const texts: string[] = [];
  for (const i of sources.instances(e.version) ?? []) {
    const obs = await sources.get(`${i.baseUrl}/metrics`, { keepText: true });
    if (obs.status === 200 && obs.text) texts.push(obs.text);
  }
  into.metrics.set(e.version, texts);
}

export const metrics = {
  describe: (e: MetricsExpectation) => `${e.version}'s /metrics counts every answered request to ${e.route}, labelled with its version`,
  collect: collectMetrics,
  judge: judgeMetrics,
} satisfies ExpectationKind<"metrics">;
