import { describe, expect, it } from "vitest";
import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { htmlReport } from "./html-report.js";
import { failed, held, results } from "./test-fixtures.js";

const at = (t: number, e: TimelineEvent): Stamped => ({ ...e, t, specT: t * 100, at: new Date(t * 1000).toISOString() }) as Stamped;

/** The plots' data as the page's renderer reads it. */
function chartsOf(html: string): { charts: Array<{ title: string; unit: string; series: Array<{ name: string; color: string; kind: string; points: Array<[number, number | null]> }>; thresholds?: Array<{ value: number; label: string; from?: number; to?: number }> }>; markers: Array<{ t: number; label: string; event: string }>; tEnd: number; timeScale: number } {
  const m = /<script type="application\/json" id="gameday-charts">(.*?)<\/script>/s.exec(html);
  return m ? JSON.parse(m[1]!) : { charts: [], markers: [], tEnd: 0, timeScale: 1 };
}
const titles = (html: string) => chartsOf(html).charts.map((c) => c.title);

const events: Stamped[] = [
  at(0, { type: "load.started", phase: "load", target: "router", executor: "constant-arrival-rate", plannedRequests: 100 }),
  at(0.5, { type: "stage.started", stage: "canary-10", percentage: 10 }),
  at(1, { type: "router.observed", shares: { stable: 90, candidate: 10 } }),
  at(1, { type: "load.second", phase: "load", second: 1, version: "erroring-1", requests: 20, failed: 4, codes: { "200": 16, "500": 4 }, p50: 5, p95: 9, p99: 12, max: 14 }),
  at(2, { type: "load.second", phase: "load", second: 2, version: "good-1", requests: 180, failed: 0, codes: { "200": 180 }, p50: 4, p95: 8, p99: 10, max: 11 }),
  at(2.2, { type: "rollback.decided", stage: "canary-10", strategy: "immediate", trigger: "error_rate", source: "rollback-trigger", reason: "error rate 20.00% breaches the rollback trigger >5%", observed: 0.2, threshold: ">5%" }),
  at(3, { type: "router.observed", shares: { stable: 100, candidate: 0 } }),
];

describe("report.html", () => {
  it("draws the machine's headroom, lists the saturated spans, and marks an inconclusive expectation", () => {
    const sampled: Stamped[] = [
      at(0, { type: "load.started", phase: "load", target: "router", executor: "constant-arrival-rate", plannedRequests: 400 }),
      at(0.5, { type: "host.sampled", cpu: 0.42, engineCpu: 0.3, loopDelayMs: 11, loopMaxMs: 20, cores: 2 }),
      at(1, { type: "host.sampled", cpu: 1, engineCpu: 0.8, ioStall: 0.1, memoryStall: 0, loopDelayMs: 12, loopMaxMs: 30, cores: 2 }),
      at(1.5, { type: "host.sampled", cpu: 1, engineCpu: 0.8, loopDelayMs: 13, loopMaxMs: 31, cores: 2 }),
      at(2, { type: "load.second", phase: "load", second: 1, version: "*", requests: 150, failed: 0, codes: { "200": 150 }, p50: 4, p95: 8, p99: 10, max: 11, asked: 200, lagMs: 700 }),
    ];
    const inconclusive = { ...failed, inconclusive: "the machine running the harness was saturated while this was measured (host CPU 100% busy (limit 97%) for 2 samples in a row)" };
    const html = htmlReport(
      results([inconclusive], { verdict: "inconclusive", exitCode: 3, headroom: { limits: { cpu: 0.97, cpuSamples: 2, stall: 0.5, loopDelayMs: 250, delivered: 0.9, lagMs: 500 }, saturated: [{ from: 0.5, to: 1.5, reason: "host CPU 100% busy (limit 97%) for 2 samples in a row" }] } }),
      sampled,
      [],
    );
    for (const part of [
      '<span class="verdict inconclusive">inconclusive</span>',
      "<h2>Headroom of the machine running the harness</h2>",
      "at least 97% busy for 2 samples in a row",
      "<tr><td>0.5-1.5 s</td><td>host CPU 100% busy (limit 97%) for 2 samples in a row</td></tr>",
      "stalled on I/O or memory 50% of a sample",
      '<tr class="inconclusive"><td>?</td>',
      "<i>inconclusive: the machine running the harness was saturated",
    ]) {
      expect(html).toContain(part);
    }
    expect(titles(html).sort()).toEqual(["CPU busy, all cores", "Load delivered: requests sent against the plan, per second (load generator)", "The harness's event-loop delay", "Time every task was stalled (pressure stall information, full)"]);
    expect(chartsOf(html).charts.find((c) => c.title === "CPU busy, all cores")!.series.map((x) => [x.name, x.points])).toEqual([
      ["host", [[0.5, 42], [1, 100], [1.5, 100]]],
      ["engine's containers", [[0.5, 30], [1, 80], [1.5, 80]]],
    ]);
  });

  it("has no headroom section for a run that sampled nothing", () => {
    expect(htmlReport(results([held]), events, [])).not.toContain("Headroom");
  });

  it("lists every analysis with its requests, intervals and verdict, names the seed, and says where the promotion stopped", () => {
    const analyses: Stamped[] = [
      at(1, { type: "analysis.evaluated", stage: "canary-10", version: "good-2", requests: 18, errorRate: 0, latencyMs: 270, statistic: "p95", healthFailures: 0, windowSeconds: 2, verdict: "undecided", why: "error rate 0.00% (18 requests, 95% CI 0.0-18%) straddles <1%", errorRateInterval: [0, 0.176], latencyInterval: [262, 281] }),
      at(9, { type: "stage.inconclusive", stage: "canary-10", reason: "the last judged window of canary-10 was undecided" }),
    ];
    const html = htmlReport(results([held], { seed: 1234, strategy: { result: "inconclusive", inconclusive: { stage: "canary-10", reason: "the last judged window of canary-10 was undecided" } } }), analyses, []);
    expect(html).toContain("<h2>Analyses</h2>");
    expect(html).toContain("0.00% <small>(95% CI 0.00%–17.60%)</small>");
    expect(html).toContain("270ms <small>(95% CI 262ms–281ms)</small>");
    expect(html).toContain("undecided<br><small>error rate 0.00% (18 requests, 95% CI 0.0-18%) straddles &lt;1%</small>");
    expect(html).toContain("<b>Inconclusive</b> at <b>canary-10</b>");
    expect(html).toContain("<code>--seed 1234</code> replays it");
  });

  it("shows the verdict, every expectation with its evidence, escaped, and links the evidence files", () => {
    const html = htmlReport(results([held, { ...failed, evidence: "<script>alert(1)</script> & more" }]), events, ["x-db.log"]);
    expect(html).toContain('<span class="verdict failed">failed</span>');
    expect(html).toContain("ready-ok");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more");
    expect(html).not.toContain("<script>alert");
    expect(html).toContain('href="logs/x-db.log"');
    expect(html).toContain("stable: good-1, candidate: erroring-1");
  });

  it("links the SBOM of each image the run used", () => {
    const r = { ...results([held]), sboms: [{ image: "app:good-1", ref: "deploy-gameday/app:good-1", file: "sbom/app_good-1.spdx.json", packages: 6 }] };
    const html = htmlReport(r, events, []);
    expect(html).toContain('<a href="sbom/app_good-1.spdx.json">sbom/app_good-1.spdx.json</a> (software bill of materials of deploy-gameday/app:good-1: 6 packages, SPDX JSON by syft)');
    expect(htmlReport(results([held]), events, [])).not.toContain("software bill of materials");
  });

  it("plots the router's shares, per-version error rate and p95 as steps, with markers for stages and the rollback", () => {
    const html = htmlReport(results([held]), events, []);
    const data = chartsOf(html);
    expect(data.charts.map((c) => c.title)).toEqual([
      "Traffic share read back from the router",
      "Error rate per second, by version (load generator)",
      "p95 latency per second, by version (load generator)",
    ]);
    const [shares, errors, latency] = data.charts;
    expect(shares!.series.map((x) => [x.name, x.kind, x.points])).toEqual([
      ["stable", "step", [[1, 90], [3, 100]]],
      ["candidate", "step", [[1, 10], [3, 0]]],
    ]);
    // Each second holds over its second: erroring-1's second 1 spans 1-2 s of the load (which began at 0).
    expect(errors!.series.map((x) => [x.name, x.points])).toEqual([
      ["erroring-1", [[1, 20], [2, 20]]],
      ["good-1", [[2, 0], [3, 0]]],
    ]);
    expect(latency!.series.find((x) => x.name === "good-1")!.points).toEqual([[2, 8], [3, 8]]);
    expect(data.markers.map((m) => [m.t, m.label, m.event])).toEqual([
      [0.5, "canary-10 10%", "stage.started"],
      [2.2, "rollback: error_rate", "rollback.decided"],
    ]);
    expect(data.tEnd).toBe(3);
    // A role and the version it runs share one color.
    const color = (c: (typeof data.charts)[number], name: string) => c.series.find((x) => x.name === name)!.color;
    expect(color(errors!, "erroring-1")).toBe(color(shares!, "candidate"));
    expect(color(errors!, "good-1")).toBe(color(shares!, "stable"));
    // uPlot is in the page: no network needed.
    expect(html).toContain("https://github.com/leeoniya/uPlot (v1.6.32)");
  });

  it("draws the rollback trigger over the strategy and each stage's criterion over its stage, from the strategy's own event", () => {
    const html = htmlReport(results([held]), [
      at(0, { type: "strategy.started", strategy: "canary", stages: [{ name: "canary-10", percentage: 10, specSeconds: 600, wallSeconds: 6, criteria: { errorRate: "<1%", responseTime: "<500ms" } }, { name: "canary-50", percentage: 50, specSeconds: 900, wallSeconds: 9, criteria: { errorRate: "<0.5%", responseTime: "<300ms" } }], triggers: { errorRate: ">5%", responseTime: ">2s", healthCheckFailures: 3 }, intervalSeconds: 1, windowSeconds: 2, rollbackStrategy: "immediate" }),
      at(0, { type: "stage.started", stage: "canary-10", percentage: 10 }),
      at(0, { type: "load.started", phase: "load", target: "router", executor: "constant-arrival-rate", plannedRequests: 100 }),
      at(1, { type: "load.second", phase: "load", second: 0, version: "good-1", requests: 20, failed: 0, codes: { "200": 20 }, p50: 4, p95: 9, p99: 12, max: 14 }),
      at(6, { type: "stage.started", stage: "canary-50", percentage: 50 }),
      at(8, { type: "rollback.decided", stage: "canary-50", strategy: "immediate", trigger: "response_time", source: "success-criteria", reason: "p95 310ms", observed: 310, threshold: "<300ms" }),
    ], []);
    const [errors, latency] = chartsOf(html).charts;
    expect(errors!.thresholds).toEqual([
      { value: 5, label: "rollback trigger >5%", color: "#dc2626", from: 0 },
      { value: 1, label: "canary-10 <1%", color: "#6b7280", from: 0, to: 6 },
      { value: 0.5, label: "canary-50 <0.5%", color: "#6b7280", from: 6, to: 8 },
    ]);
    expect(latency!.thresholds!.map((x) => [x.value, x.label])).toEqual([[2000, "rollback trigger >2s"], [500, "canary-10 <500ms"], [300, "canary-50 <300ms"]]);
  });

  it("says when it ran, which harness and where, and what the load did with units", () => {
    const html = htmlReport(
      results([held], {
        harness: { commit: "0123456789ab", host: "ci-7", cores: 2, memoryGiB: 23.5, node: "v20.20.2" },
        load: [{ phase: "load", requests: 200, failed: 4, achievedRate: 99.5, stoppedBy: "completed", thresholds: [{ metric: "http_req_failed", expression: "rate<0.01", observed: 0.02, pass: false, abortOnFail: false }] }],
      }),
      events,
      [],
    );
    expect(html).toContain("<dt>started</dt><dd>2026-11-26T17:15:00.000Z</dd>");
    expect(html).toContain("commit 0123456789ab, Node.js v20.20.2");
    expect(html).toContain("ci-7: 2 cores, 23.5 GiB");
    expect(html).toContain("<td>200</td><td>4 (2.00 %)</td><td>99.5 req/s</td><td>completed</td><td>✗ http_req_failed rate&lt;0.01: 0.02</td>");
    expect(html).toContain("<tr><td>erroring-1</td><td>20</td><td>4 (20.00 %)</td><td>1 s</td><td>9 ms</td><td>9 ms</td></tr>");
  });

  it("on kind, shows the live Deployment, ready pods over time and every change the API server reported", () => {
    const pod = (name: string, ready: boolean, restarts = 0) => ({ name: `agi-eval-sandbox-stable-5d9-${name}`, version: "good-1", phase: "Running", ready, restarts });
    const kind: Stamped[] = [
      at(0, { type: "deployment.observed", role: "stable", source: "k8s/environments/staging", deployment: { name: "agi-eval-sandbox-stable", replicas: 2, readyReplicas: 2, image: "deploy-gameday/app:good-1", limits: { cpu: "1", memory: "2Gi" }, requests: {}, liveness: { path: "/health", port: 8000, initialDelaySeconds: 3, periodSeconds: 1 }, readiness: { path: "/ready", port: 8000, initialDelaySeconds: 1, periodSeconds: 1 } } }),
      at(0.2, { type: "pods.observed", role: "stable", endpoints: 2, pods: [pod("a", true), pod("b", true)] }),
      at(1, { type: "action.performed", action: "delete-pod", target: "stable", detail: "pod agi-eval-sandbox-stable-5d9-a deleted" }),
      at(1.5, { type: "pods.observed", role: "stable", endpoints: 1, pods: [pod("b", true), pod("c", false)] }),
      at(3, { type: "pods.observed", role: "stable", endpoints: 2, pods: [pod("b", true), pod("c", true, 1)] }),
    ];
    const html = htmlReport(results([held]), kind, []);
    expect(html).toContain("<h2>Kubernetes</h2>");
    expect(html).toContain("k8s/environments/staging");
    expect(html).toContain("liveness /health:8000 after 3s, every 1s");
    expect(html).toContain("cpu 1, memory 2Gi");
    expect(chartsOf(html).charts.find((c) => c.title === "Ready pods per role (API server)")!.series[0]!.points).toEqual([[0.2, 2], [1.5, 1], [3, 2]]);
    expect(html).toContain("Every change of the pods and Service endpoints the API server reported (3)");
    expect(html).toContain("c unready, 0 restart(s), good-1");
    expect(html).toContain("c ready, 1 restart(s), good-1");
    expect(chartsOf(html).markers.map((m) => m.label)).toContain("delete-pod");
  });

  it("has no Kubernetes section for a Docker run", () => {
    expect(htmlReport(results([held]), events, [])).not.toContain("<h2>Kubernetes</h2>");
  });
});

