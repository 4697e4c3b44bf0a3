import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { formatPath } from "../common/problems.js";
import { defaultMaxRequests, plannedRequests, readLoadProfile, type LoadProfile } from "./profile.js";

const ROLES = ["stable", "candidate"];

function read(yaml: string, roles = ROLES): { profile: LoadProfile | undefined; problems: string[] } {
  const { profile, problems } = readLoadProfile((parse(yaml) as { load?: unknown } | null)?.load, roles);
  return { profile, problems: problems.map((p) => `${formatPath(p.path)} ${p.message}`) };
}

function problemsOf(yaml: string): string[] {
  const { profile, problems } = read(yaml);
  expect(profile).toBeUndefined();
  expect(problems.length).toBeGreaterThan(0);
  return problems;
}

const STEADY = `
load:
  name: steady
  target: stable
  executor: constant-arrival-rate
  rate: 200
  timeUnit: 1s
  duration: 30s
  timeout: 5s
  maxRequests: 100000
  requests:
    - { method: GET, path: /api/evaluations, weight: 3 }
    - { method: POST, path: /api/evaluations, body: { model: m, benchmark: b, score: 0.5 }, weight: 1 }
  thresholds:
    http_req_failed: ["rate<0.01"]
    http_req_duration: ["p(95)<500", { threshold: "max<2000", abortOnFail: true }]
    "http_req_duration{version:good-1}": ["p(99)<800"]
`;

/** A valid minimal profile with one line replaced or added. */
function minimal(extra: string): string {
  return `
load:
  target: stable
  executor: constant-arrival-rate
  rate: 10
  duration: 5s
  requests: [{ path: /health }]
${extra}`;
}

describe("readLoadProfile", () => {
  it("reads the documented constant-arrival-rate example", () => {
    const { profile, problems } = read(STEADY);
    expect(problems).toEqual([]);
    expect(profile).toMatchObject({
      name: "steady",
      target: "stable",
      executor: "constant-arrival-rate",
      rate: 200,
      timeUnitMs: 1000,
      durationMs: 30_000,
      timeoutMs: 5000,
      maxRequests: 100_000,
      requests: [
        { method: "GET", path: "/api/evaluations", weight: 3 },
        { method: "POST", path: "/api/evaluations", body: { model: "m", benchmark: "b", score: 0.5 }, weight: 1 },
      ],
    });
    expect(profile!.thresholds.map((t) => [t.key, t.expression, t.abortOnFail])).toEqual([
      ["http_req_failed", "rate<0.01", false],
      ["http_req_duration", "p(95)<500", false],
      ["http_req_duration", "max<2000", true],
      ["http_req_duration{version:good-1}", "p(99)<800", false],
    ]);
    expect(profile!.thresholds[3]!.tags).toEqual({ version: "good-1" });
    expect(plannedRequests(profile!)).toBe(6000);
  });

  it("fills in the defaults", () => {
    const { profile, problems } = read(minimal(""));
    expect(problems).toEqual([]);
    expect(profile).toEqual({
      name: "load",
      target: "stable",
      executor: "constant-arrival-rate",
      rate: 10,
      timeUnitMs: 1000,
      durationMs: 5000,
      requests: [{ method: "GET", path: "/health", weight: 1 }],
      timeoutMs: 10_000,
      thresholds: [],
    });
    // rate * duration * 1.1 + 100
    expect(defaultMaxRequests(profile!)).toBe(155);
  });

  it("reads a ramping-arrival-rate profile with its stages in spec ms", () => {
    const { profile, problems } = read(`
load:
  target: candidate
  executor: ramping-arrival-rate
  startRate: 10
  timeUnit: 2s
  stages: [{ target: 100, duration: 10s }, { target: 100, duration: 20s }, { target: 0, duration: 500ms }]
  requests: [{ path: /health }]
`);
    expect(problems).toEqual([]);
    expect(profile).toMatchObject({ executor: "ramping-arrival-rate", startRate: 10, timeUnitMs: 2000 });
    expect(profile!.stages).toEqual([
      { target: 100, durationMs: 10_000 },
      { target: 100, durationMs: 20_000 },
      { target: 0, durationMs: 500 },
    ]);
    expect(profile).not.toHaveProperty("rate");
    // Per 2 s: (10+100)/2 * 10 s + 100 * 20 s + 50 * 0.5 s, halved.
    expect(plannedRequests(profile!)).toBe(Math.round((55 * 10 + 100 * 20 + 50 * 0.5) / 2));
  });

  it("is undefined without problems when there is no load section", () => {
    expect(read("name: x")).toEqual({ profile: undefined, problems: [] });
  });

  it("names an unknown executor with a did-you-mean", () => {
    expect(problemsOf(minimal("").replace("constant-arrival-rate", "constant-arival-rate"))).toEqual([
      'load.executor must be one of constant-arrival-rate, ramping-arrival-rate, got "constant-arival-rate" (did you mean "constant-arrival-rate"?)',
    ]);
  });

  it.each([
    ["0", "load.rate must be a number > 0, got number 0"],
    ["-5", "load.rate must be a number > 0, got number -5"],
    ["fast", 'load.rate must be a number > 0, got "fast"'],
  ])("rejects rate %s", (rate, message) => {
    expect(problemsOf(minimal("").replace("rate: 10", `rate: ${rate}`))).toEqual([message]);
  });

  it("requires duration and rate for constant-arrival-rate, and stages for ramping-arrival-rate", () => {
    expect(problemsOf(minimal("").replace("  duration: 5s\n", ""))).toEqual(['load.duration is missing: expected a duration like "600s"']);
    expect(problemsOf(minimal("").replace("  rate: 10\n", ""))).toEqual(["load.rate is missing: expected a number"]);
    const ramping = minimal("").replace("constant-arrival-rate", "ramping-arrival-rate").replace("  rate: 10\n  duration: 5s\n", "");
    expect(problemsOf(ramping)).toEqual(["load.stages is missing: expected a list"]);
    expect(problemsOf(`${ramping}  stages: []\n`)).toEqual(["load.stages must not be empty"]);
    expect(problemsOf(`${ramping}  stages: [{ target: 5, duration: soon }, { target: -1, duration: 1s }]\n`)).toEqual([
      'load.stages[0].duration must be a duration like "600s", "5m" or "250ms", got "soon"',
      "load.stages[1].target must be a number >= 0, got number -1",
    ]);
    expect(problemsOf(`${ramping}  stages: [{ target: 0, duration: 1s }]\n`)).toEqual(["load.stages never sends a request: every stage's target is 0"]);
  });

  it("rejects fields of the other executor", () => {
    expect(problemsOf(minimal("  stages: [{ target: 5, duration: 1s }]"))).toEqual(["load.stages is only for executor ramping-arrival-rate"]);
    const ramping = minimal("  stages: [{ target: 5, duration: 1s }]").replace("constant-arrival-rate", "ramping-arrival-rate");
    expect(problemsOf(ramping)).toEqual(["load.rate is only for executor constant-arrival-rate", "load.duration is only for executor constant-arrival-rate"]);
  });

  it("rejects a bad name or start rate instead of falling back to the default", () => {
    expect(problemsOf(minimal("  name: Steady Load"))).toEqual(['load.name must be a lower-case name like "steady", got "Steady Load"']);
    const ramping = minimal("  stages: [{ target: 5, duration: 1s }]\n  startRate: -1")
      .replace("constant-arrival-rate", "ramping-arrival-rate")
      .replace("  rate: 10\n  duration: 5s\n", "");
    expect(problemsOf(ramping)).toEqual(["load.startRate must be a number >= 0, got number -1"]);
  });

  it("checks the target against the declared roles, and typos in field names", () => {
    expect(problemsOf(minimal("").replace("target: stable", "target: canary"))).toEqual([
      'load.target must name a version declared under versions (stable, candidate), got "canary"',
    ]);
    expect(problemsOf(minimal("  treshold: {}"))).toEqual([
      'load.treshold is not a known field (did you mean "thresholds"?); known fields: name, target, executor, rate, timeUnit, duration, startRate, stages, timeout, maxRequests, requests, thresholds',
    ]);
  });

  it("checks requests: method, path, weight, and no body on GET", () => {
    const problems = problemsOf(
      minimal("").replace(
        "requests: [{ path: /health }]",
        "requests: [{ method: GIT, path: /x }, { path: health }, { path: /x, weight: 0 }, { path: /x, weight: 1.5 }, { method: GET, path: /x, body: { a: 1 } }]",
      ),
    );
    expect(problems).toEqual([
      'load.requests[0].method must be one of GET, POST, PUT, DELETE, PATCH, HEAD, got "GIT" (did you mean "GET"?)',
      'load.requests[1].path must be a path starting with "/" like "/api/evaluations", got "health"',
      "load.requests[2].weight must be an integer >= 1 and <= 1000, got number 0",
      "load.requests[3].weight must be an integer >= 1 and <= 1000, got number 1.5",
      "load.requests[4].body is not sent with GET; use POST, PUT or PATCH for a request with a body",
    ]);
    expect(problemsOf(minimal("").replace("requests: [{ path: /health }]", "requests: []"))).toEqual(["load.requests must not be empty"]);
  });

  it("names a threshold that does not parse by its path", () => {
    expect(problemsOf(minimal('  thresholds: { http_req_duration: ["p95<500"] }'))).toEqual([
      'load.thresholds.http_req_duration[0] must be a k6 threshold like "p(95)<500", got "p95<500"',
    ]);
    expect(problemsOf(minimal('  thresholds: { http_req_duration: ["p(95)<500", { threshold: "max<<2", abortOnFail: true }] }'))).toEqual([
      'load.thresholds.http_req_duration[1].threshold must be a k6 threshold like "p(95)<500", got "max<<2"',
    ]);
  });

  it("names an aggregation the metric does not have", () => {
    expect(problemsOf(minimal('  thresholds: { http_req_duration: ["rate<0.01"] }'))).toEqual([
      'load.thresholds.http_req_duration[0] uses rate, which http_req_duration does not have; use avg, min, max, med, p(N) (e.g. "p(95)<500"), got "rate<0.01"',
    ]);
  });

  it("names an unknown metric once, with a did-you-mean", () => {
    expect(problemsOf(minimal('  thresholds: { http_req_faild: ["rate<0.01", "rate<0.02"] }'))).toEqual([
      'load.thresholds.http_req_faild is not a metric the load generator measures (did you mean "http_req_failed"?); known metrics: http_req_failed, http_req_duration, http_reqs',
    ]);
    expect(problemsOf(minimal('  thresholds: { "http_reqs{method:GET}": ["count>1"] }'))[0]).toContain(
      'load.thresholds.http_reqs{method:GET} has a tag filter the harness does not know',
    );
  });

  it("checks the shape of thresholds and their options", () => {
    expect(problemsOf(minimal("  thresholds: { http_reqs: [5] }"))).toEqual([
      'load.thresholds.http_reqs[0] must be a threshold like "p(95)<500" or { threshold: "p(95)<500", abortOnFail: true }, got number 5',
    ]);
    expect(problemsOf(minimal('  thresholds: { http_reqs: [{ threshold: "count>1", abortOnFail: yes, delay: 1 }] }'))).toEqual([
      'load.thresholds.http_reqs[0].abortOnFail must be true or false, got "yes"',
      'load.thresholds.http_reqs[0].delay is not a known field; known fields: threshold, abortOnFail',
    ]);
    expect(problemsOf(minimal("  thresholds: { http_reqs: [] }"))).toEqual(["load.thresholds.http_reqs must not be empty"]);
    expect(problemsOf(minimal("  thresholds: [rate<0.01]"))).toEqual(["load.thresholds must be a mapping (key: value), got a list"]);
  });

  it("reports every mistake at once", () => {
    const problems = problemsOf(`
load:
  target: stable
  executor: constant-arrival-rate
  rate: 0
  timeout: never
  maxRequests: 0
  requests: [{ path: nope }]
  thresholds: { http_req_duration: ["p95<500"] }
`);
    // In the order of the section's fields.
    expect(problems).toEqual([
      "load.rate must be a number > 0, got number 0",
      'load.duration is missing: expected a duration like "600s"',
      'load.timeout must be a duration like "600s", "5m" or "250ms", got "never"',
      "load.maxRequests must be an integer >= 1, got number 0",
      'load.requests[0].path must be a path starting with "/" like "/api/evaluations", got "nope"',
      'load.thresholds.http_req_duration[0] must be a k6 threshold like "p(95)<500", got "p95<500"',
    ]);
  });
});
