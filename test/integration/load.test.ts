import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeScale, waitFor } from "../../harness/common/clock.js";
import { LoadAggregator } from "../../harness/load/aggregator.js";
import type { LoadEvent, LoadEventOf } from "../../harness/model/load-events.js";
import type { RequestResult } from "../../harness/load/load-generator.js";
import { readLoadProfile, type LoadProfile } from "../../harness/load/profile.js";
import { runLoad, type LoadSummary } from "../../harness/load/run-load.js";
import { parseThreshold } from "../../harness/load/thresholds.js";
import { DockerPlatform } from "../../harness/platforms/docker/docker-platform.js";
import { httpGet } from "../../harness/probes/http-probe.js";
import { testContext } from "../support/context.js";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("load", 1.2); // vegeta at 200 req/s

// Load from vegeta against the reference service in Docker: good-1, erroring-1 (20% errors, seeded) and slow-1 (+600-800 ms).
const ctx = testContext("load");
const platform = new DockerPlatform(ctx);
const url: Record<string, string> = {};

beforeAll(async () => {
  const database = await platform.startDatabase();
  const versions = ["good-1", "erroring-1", "slow-1"];
  const services = await Promise.all(versions.map((version) => platform.deploy({ role: version, version, replicas: 1, faults: {}, database })));
  for (const s of services) url[s.version] = s.instances[0]!.baseUrl;
  await Promise.all(
    versions.map((v) =>
      waitFor(async () => ((await httpGet(`${url[v]}/ready`)).status === 200 ? true : undefined), { description: `${v} to be ready`, timeoutMs: 30_000, intervalMs: 100 }),
    ),
  );
});
afterAll(() => ctx.dispose());

/** A profile as a scenario file would have it, read through the scenario reader. */
function profile(load: Record<string, unknown>): LoadProfile {
  const { profile: p, problems } = readLoadProfile({ target: "stable", executor: "constant-arrival-rate", ...load }, ["stable"]);
  expect(problems).toEqual([]);
  return p!;
}

async function load(p: LoadProfile, version: string): Promise<{ summary: LoadSummary; events: LoadEvent[]; results: RequestResult[]; wallMs: number }> {
  const events: LoadEvent[] = [];
  const results: RequestResult[] = [];
  const started = Date.now();
  const summary = await runLoad(p, {
    baseUrl: url[version]!,
    scale: new TimeScale(1),
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
    onResult: (r) => results.push(r),
  });
  return { summary, events, results, wallMs: Date.now() - started };
}

const ofType = <T extends LoadEvent["type"]>(events: LoadEvent[], type: T) => events.filter((e): e is LoadEventOf<T> => e.type === type);
const API = [{ method: "GET", path: "/api/evaluations" }];

describe("load generation against the reference service", () => {
  let erroring: Awaited<ReturnType<typeof load>>;

  beforeAll(async () => {
    // 200/s for 11 s: 2200 requests to erroring-1's API.
    erroring = await load(
      profile({
        name: "erroring",
        rate: 200,
        duration: "11s",
        timeout: "5s",
        requests: API,
        thresholds: {
          http_req_failed: ["rate<0.25", "rate>0.15", "rate<0.15"],
          "http_req_failed{version:erroring-1}": ["rate>=0.1"],
          "http_req_failed{version:good-1}": ["rate==0"],
          "http_reqs{status:500}": ["count>=300"],
          http_reqs: ["count>=2000", "rate>190"],
          http_req_duration: ["p(95)<1000", "p(99)<1"],
        },
      }),
      "erroring-1",
    );
  }, 40_000);

  it("measures erroring-1's error fraction within 1.5 percentage points over more than 2000 requests", () => {
    const { summary } = erroring;
    expect(summary.stoppedBy).toBe("completed");
    expect(summary.requests).toBeGreaterThanOrEqual(2000);
    expect(summary.requests).toBeLessThanOrEqual(2202);
    expect(Math.abs(summary.overall.failedRate - 0.2)).toBeLessThanOrEqual(0.015);
    expect(Object.keys(summary.overall.codes)).toEqual(["200", "500"]);
    expect(summary.achievedRate).toBeGreaterThan(190);
    expect(summary.achievedRate).toBeLessThan(210);
  });

  it("carries the version from X-App-Version on every result", () => {
    expect(erroring.results.every((r) => r.version === "erroring-1")).toBe(true);
    expect(Object.keys(erroring.summary.byVersion)).toEqual(["erroring-1"]);
    expect(erroring.summary.byVersion["erroring-1"]!.requests).toBe(erroring.summary.requests);
  });

  it("emits a complete per-second stream: seconds 0..N-1, summing to the total", () => {
    const all = ofType(erroring.events, "load.second").filter((e) => e.version === "*");
    expect(all.map((e) => e.second)).toEqual(Array.from({ length: all.length }, (_, i) => i));
    expect(all.length).toBe(11);
    expect(all.reduce((sum, e) => sum + e.requests, 0)).toBe(erroring.summary.requests);
    expect(all.reduce((sum, e) => sum + e.failed, 0)).toBe(erroring.summary.failed);
    const versionRows = ofType(erroring.events, "load.second").filter((e) => e.version === "erroring-1");
    expect(versionRows.reduce((sum, e) => sum + e.requests, 0)).toBe(erroring.summary.requests);
    // A full second at 200/s has about 200 requests.
    expect(all.slice(0, -1).every((e) => e.requests >= 190 && e.requests <= 210)).toBe(true);
    expect(erroring.events[0]).toMatchObject({ type: "load.started", phase: "erroring", plannedRequests: 2200 });
    expect(erroring.events[erroring.events.length - 1]).toMatchObject({ type: "load.finished", requests: erroring.summary.requests, stoppedBy: "completed" });
  });

  it("judges thresholds on real data, passing and failing on the right side of their bound", () => {
    const verdicts = erroring.summary.thresholdResults.map((t) => `${t.metric} ${t.expression} ${t.pass ? "pass" : "FAIL"}`);
    expect(verdicts).toEqual([
      "http_req_failed rate<0.25 pass",
      "http_req_failed rate>0.15 pass",
      "http_req_failed rate<0.15 FAIL",
      "http_req_failed{version:erroring-1} rate>=0.1 pass",
      "http_req_failed{version:good-1} rate==0 pass",
      "http_reqs{status:500} count>=300 pass",
      "http_reqs count>=2000 pass",
      "http_reqs rate>190 pass",
      "http_req_duration p(95)<1000 pass",
      "http_req_duration p(99)<1 FAIL",
    ]);
    // Bounds exactly at the observed values: strict operators fail there, inclusive ones pass.
    const { overall } = erroring.summary;
    const at = [
      ["http_req_failed", `rate<=${overall.failedRate}`, true],
      ["http_req_failed", `rate<${overall.failedRate}`, false],
      ["http_req_failed", `rate>=${overall.failedRate}`, true],
      ["http_req_failed", `rate>${overall.failedRate}`, false],
      ["http_req_duration", `p(95)<=${overall.latencyMs.p95}`, true],
      ["http_req_duration", `p(95)<${overall.latencyMs.p95}`, false],
      ["http_req_duration", `max>=${overall.latencyMs.max}`, true],
      ["http_req_duration", `max>${overall.latencyMs.max}`, false],
      ["http_reqs", `count==${erroring.summary.requests}`, true],
      ["http_reqs", `count<${erroring.summary.requests}`, false],
    ] as const;
    const agg = new LoadAggregator({ thresholds: at.map(([key, expression]) => parseThreshold(key, expression)) });
    for (const r of erroring.results) agg.add(r);
    agg.finish(0);
    expect(agg.summary().thresholdResults.map((t) => t.pass)).toEqual(at.map(([, , pass]) => pass));
  });

  it("shows slow-1's added latency in p95 while good-1 stays fast", async () => {
    const p = profile({ rate: 50, duration: "4s", timeout: "5s", requests: API });
    const [slow, good] = await Promise.all([load(p, "slow-1"), load(p, "good-1")]);
    expect(slow.summary.requests).toBeGreaterThanOrEqual(195);
    expect(slow.summary.overall.latencyMs.p95).toBeGreaterThanOrEqual(600);
    expect(slow.summary.overall.latencyMs.p95).toBeLessThan(1000);
    expect(slow.summary.overall.latencyMs.min).toBeGreaterThanOrEqual(600);
    expect(good.summary.overall.latencyMs.p95).toBeLessThan(100);
    expect(good.summary.failed).toBe(0);
    expect(Object.keys(slow.summary.byVersion)).toEqual(["slow-1"]);
    expect(Object.keys(good.summary.byVersion)).toEqual(["good-1"]);
  });

  it("stops early when an abortOnFail threshold fails, and says which and when", async () => {
    const run = await load(
      profile({
        name: "abort",
        rate: 100,
        duration: "20s",
        requests: API,
        thresholds: { http_req_failed: [{ threshold: "rate<0.05", abortOnFail: true }], http_req_duration: ["p(95)<2000"] },
      }),
      "erroring-1",
    );
    expect(run.summary.stoppedBy).toBe("threshold");
    expect(run.summary.abortedBy).toMatchObject({ metric: "http_req_failed", expression: "rate<0.05", second: 0 });
    expect(run.summary.abortedBy!.observed).toBeGreaterThan(0.05);
    expect(run.wallMs).toBeLessThan(5000);
    expect(run.summary.requests).toBeLessThan(400);
    const finished = ofType(run.events, "load.finished")[0]!;
    expect(finished.stoppedBy).toBe("threshold");
    expect(finished.thresholds).toEqual([
      expect.objectContaining({ metric: "http_req_failed", expression: "rate<0.05", pass: false, abortOnFail: true }),
      expect.objectContaining({ metric: "http_req_duration", expression: "p(95)<2000", pass: true, abortOnFail: false }),
    ]);
  });

  it("stops at maxRequests", async () => {
    const run = await load(profile({ rate: 200, duration: "10s", maxRequests: 300, requests: [{ path: "/health" }] }), "good-1");
    expect(run.summary.stoppedBy).toBe("max-requests");
    expect(run.summary.requests).toBe(300);
    expect(run.wallMs).toBeLessThan(4000);
  });

  it("ramps the arrival rate through its stages", async () => {
    const run = await load(
      profile({ executor: "ramping-arrival-rate", startRate: 20, stages: [{ target: 200, duration: "3s" }], requests: [{ path: "/health" }] }),
      "good-1",
    );
    expect(run.summary.plannedRequests).toBe(330);
    expect(Math.abs(run.summary.requests - 330)).toBeLessThanOrEqual(15);
    const perSecond = ofType(run.events, "load.second")
      .filter((e) => e.version === "*")
      .map((e) => e.requests);
    // Three planned seconds; on a busy machine the last request or two may be
    // sent just after the third second ends and land in a fourth bucket.
    expect(perSecond.length).toBeGreaterThanOrEqual(3);
    expect(perSecond.slice(3).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10);
    expect(perSecond[0]!).toBeLessThan(perSecond[1]!);
    expect(perSecond[1]!).toBeLessThan(perSecond[2]!);
    expect(run.summary.failed).toBe(0);
  });
});
