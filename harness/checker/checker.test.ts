import { describe, expect, it } from "vitest";
import type { DeploymentSummary } from "../model/kubernetes.js";
import type { DeploymentExpectation, MetricsExpectation, PodsExpectation, ProbeExpectation } from "../scenario/scenario.js";
import { loadDeploymentSpec } from "../document/deployment-spec.js";
import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { describeExpectation, judge, MIN_OBSERVATIONS, type Evidence } from "./checker.js";

const START = Date.parse("2026-11-26T17:15:00.000Z");

function stamp<E extends TimelineEvent>(t: number, event: E): Stamped<E> {
  return { ...event, t, specT: t, at: new Date(START + t * 1000).toISOString() };
}

const started = (t: number, step: string) => stamp(t, { type: "step.started", step, kind: "observe" });
const finished = (t: number, step: string) => stamp(t, { type: "step.finished", step, kind: "observe", wallSeconds: 0 });

function observed(t: number, status: number | null, extra: { path?: string; target?: string; body?: unknown; error?: string } = {}) {
  return stamp(t, {
    type: "probe.observed",
    target: extra.target ?? "stable/0",
    path: extra.path ?? "/ready",
    status,
    ms: 3,
    ...(extra.body !== undefined ? { body: extra.body } : {}),
    ...(extra.error !== undefined ? { error: extra.error } : {}),
  });
}

function evidence(events: Stamped[], metrics: Record<string, string[]> = {}): Evidence {
  return {
    events,
    versions: new Map([
      ["stable", "good-1"],
      ["candidate", "bad-2"],
    ]),
    metrics: new Map(Object.entries(metrics)),
  };
}

function probe(overrides: Partial<ProbeExpectation> = {}): ProbeExpectation {
  return { id: "ready-ok", kind: "probe", version: "stable", path: "/ready", status: 200, ...overrides };
}

/** baseline 0..10 s, outage 10..20 s, recovered 20..30 s, with probe observations given per second. */
function run(observations: Stamped[]): Stamped[] {
  return [
    started(0, "baseline"),
    finished(10, "baseline"),
    started(10, "outage"),
    finished(20, "outage"),
    started(20, "recovered"),
    finished(30, "recovered"),
    ...observations,
  ].sort((a, b) => a.t - b.t);
}

const every = (from: number, to: number, step: number, make: (t: number) => Stamped) => {
  const out: Stamped[] = [];
  for (let t = from; t <= to + 1e-9; t += step) out.push(make(Math.round(t * 100) / 100));
  return out;
};

describe("judge: probe expectations", () => {
  it("holds when every observation in the step's window answers the status", () => {
    const events = run([
      ...every(0.5, 9.5, 1, (t) => observed(t, 200)),
      ...every(10.5, 19.5, 1, (t) => observed(t, 503)),
      ...every(20.5, 29.5, 1, (t) => observed(t, 200)),
    ]);
    const j = judge(probe({ during: "baseline" }), evidence(events));
    expect(j).toEqual({
      id: "ready-ok",
      description: "stable /ready answers 200 during baseline",
      held: true,
      evidence: "10 of 10 observations answered 200",
    });
    expect(judge(probe({ status: 503, during: "outage" }), evidence(events)).held).toBe(true);
    expect(judge(probe({ during: "recovered" }), evidence(events)).held).toBe(true);
  });

  it("judges the whole run when no step is named", () => {
    const events = run([...every(0.5, 9.5, 1, (t) => observed(t, 200)), observed(15, 503), ...every(20.5, 29.5, 1, (t) => observed(t, 200))]);
    const j = judge(probe(), evidence(events));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("1 of 21 observations differed, first: 503 at 15.00s");
    expect(j.description).toBe("stable /ready answers 200 throughout the run");
  });

  it("fails with evidence naming the first differing observation", () => {
    const events = run([
      observed(0.5, 200),
      observed(1.5, 200),
      observed(2.5, 500),
      observed(3.5, null, { error: "ECONNREFUSED" }),
      observed(4.5, 200),
    ]);
    const j = judge(probe({ during: "baseline", description: "ready before the outage" }), evidence(events));
    expect(j.held).toBe(false);
    expect(j.description).toBe("ready before the outage");
    expect(j.evidence).toBe("2 of 5 observations differed, first: 500 at 2.50s; seen: 200×3, 500×1, ECONNREFUSED×1");
  });

  it("only counts observations of the expectation's path and version", () => {
    const events = run([
      ...every(0.5, 4.5, 1, (t) => observed(t, 200)),
      observed(5, 503, { path: "/health" }),
      observed(5.5, 503, { target: "candidate/0" }),
      observed(6, 503, { target: "stable-canary/0" }),
    ]);
    const j = judge(probe({ during: "baseline" }), evidence(events));
    expect(j.held).toBe(true);
    expect(j.evidence).toBe("5 of 5 observations answered 200");
  });

  describe("within", () => {
    it("holds when the status is reached before the deadline and kept", () => {
      const events = run([observed(10.5, 200), observed(11.5, 503, { body: { failing: ["database"] } }), ...every(12.5, 19.5, 1, (t) => observed(t, 503))]);
      const j = judge(probe({ status: 503, during: "outage", withinMs: 2_000 }), evidence(events));
      expect(j.held).toBe(true);
      expect(j.evidence).toBe("first 503 1.50s after outage started; 8 of 8 observations answered 503");
      expect(j.description).toBe("stable /ready answers 503 during outage within 2s of its start and from then on");
    });

    it("ignores observations before the deadline when judging whether the status held", () => {
      const events = run([observed(10.2, 200), observed(10.9, 200), ...every(11, 19, 1, (t) => observed(t, 503))]);
      expect(judge(probe({ status: 503, during: "outage", withinMs: 2_000 }), evidence(events)).held).toBe(true);
      // Without `within` the early 200s count against it.
      const strict = judge(probe({ status: 503, during: "outage" }), evidence(events));
      expect(strict.held).toBe(false);
      expect(strict.evidence).toContain("first: 200 at 10.20s");
    });

    it("is not held when the first match comes after the deadline, saying how late", () => {
      const events = run([...every(10.5, 14.5, 1, (t) => observed(t, 200)), ...every(15.5, 19.5, 1, (t) => observed(t, 503))]);
      const j = judge(probe({ status: 503, during: "outage", withinMs: 2_000 }), evidence(events));
      expect(j.held).toBe(false);
      expect(j.evidence).toBe("first 503 came 5.50s after outage started, later than 2.00s (2s spec)");
    });

    it("is not held when the status never comes", () => {
      const events = run(every(10.5, 19.5, 1, (t) => observed(t, 200)));
      const j = judge(probe({ status: 503, during: "outage", withinMs: 2_000 }), evidence(events));
      expect(j.held).toBe(false);
      expect(j.evidence).toBe("no observation answered 503 during outage; seen: 200×10");
    });

    it("is not held when the status is reached in time but lost afterwards", () => {
      const events = run([...every(10.5, 15.5, 1, (t) => observed(t, 503)), observed(16.5, 200), ...every(17.5, 19.5, 1, (t) => observed(t, 503))]);
      const j = judge(probe({ status: 503, during: "outage", withinMs: 2_000 }), evidence(events));
      expect(j.held).toBe(false);
      expect(j.evidence).toContain("first 503 0.50s after outage started; 1 of 8 observations differed, first: 200 at 16.50s");
    });
  });

  describe("failing", () => {
    const expectation = probe({ status: 503, during: "outage", failing: "database" });

    it("holds when every body names the check as failing", () => {
      const events = run(every(10.5, 19.5, 1, (t) => observed(t, 503, { body: { status: "unready", failing: ["cache", "database"] } })));
      const j = judge(expectation, evidence(events));
      expect(j.held).toBe(true);
      expect(j.evidence).toBe("10 of 10 observations answered 503 naming database");
      expect(j.description).toBe("stable /ready answers 503, naming database as failing during outage");
    });

    it("is not held when a body does not name it, even with the right status", () => {
      const events = run([
        ...every(10.5, 14.5, 1, (t) => observed(t, 503, { body: { failing: ["database"] } })),
        observed(15.5, 503, { body: { failing: ["cache"] } }),
        observed(16.5, 503, { body: { failing: "database" } }),
        observed(17.5, 503),
      ]);
      const j = judge(expectation, evidence(events));
      expect(j.held).toBe(false);
      expect(j.evidence).toContain("3 of 8 observations differed, first: 503 failing=[cache] at 15.50s");
    });
  });

  it(`is not held with fewer than ${MIN_OBSERVATIONS} observations in the window`, () => {
    expect(MIN_OBSERVATIONS).toBe(3);
    const few = run([observed(1, 200), observed(2, 200), observed(12, 200)]);
    const j = judge(probe({ during: "baseline" }), evidence(few));
    expect(j.held).toBe(false);
    expect(j.evidence).toBe("only 2 observation(s) of /ready in the window (need 3): the monitor did not watch long enough");
    const enough = run([observed(1, 200), observed(2, 200), observed(3, 200)]);
    expect(judge(probe({ during: "baseline" }), evidence(enough)).held).toBe(true);
  });

  it("counts only observations after the `within` deadline towards the minimum", () => {
    const events = run([...every(10.5, 17.5, 1, (t) => observed(t, 503)), observed(18.5, 503), observed(19.5, 503)]);
    const j = judge(probe({ status: 503, during: "outage", withinMs: 8_500 }), evidence(events));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("only 2 observation(s)");
  });

  it("is not held when the step never finished", () => {
    const events = [started(0, "baseline"), ...every(0.5, 9.5, 1, (t) => observed(t, 200))];
    const j = judge(probe({ during: "baseline" }), evidence(events));
    expect(j.held).toBe(false);
    expect(j.evidence).toBe("step baseline never ran to its end, so there is nothing to judge");
  });

  it("is not held when the step never started", () => {
    const j = judge(probe({ during: "elsewhere" }), evidence(run(every(0.5, 29.5, 1, (t) => observed(t, 200)))));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("never ran to its end");
  });
});

describe("judge: metrics expectations", () => {
  const expectation: MetricsExpectation = { id: "metrics-count", kind: "metrics", version: "stable", route: "/health" };

  /** `answered` answered probes of /health on stable, plus noise that must not be counted. */
  function probes(answered: number): Stamped[] {
    return [
      ...Array.from({ length: answered }, (_, i) => observed(i + 1, i % 2 ? 200 : 503, { path: "/health", target: `stable/${i % 2}` })),
      observed(50, null, { path: "/health", error: "timeout" }),
      observed(51, 200, { path: "/ready" }),
      observed(52, 200, { path: "/health", target: "candidate/0" }),
    ];
  }

  const metricsText = (lines: string[]) => ["# HELP http_requests_total Requests", "# TYPE http_requests_total counter", ...lines, ""].join("\n");

  it("holds when the version's counter covers every answered probe", () => {
    const text0 = metricsText(['http_requests_total{method="GET",route="/health",status="200",version="good-1"} 3', 'http_requests_total{route="/ready",version="good-1"} 99']);
    const text1 = metricsText(['http_requests_total{method="GET",route="/health",status="503",version="good-1"} 2']);
    const j = judge(expectation, evidence(probes(5), { stable: [text0, text1] }));
    expect(j.held).toBe(true);
    expect(j.evidence).toBe('http_requests_total{route="/health",version="good-1"} = 5, requests answered to the harness = 5');
    expect(j.description).toBe("stable's /metrics counts every answered request to /health, labelled with its version");
  });

  it("holds when the counter saw more requests than the harness got answers for", () => {
    const j = judge(expectation, evidence(probes(4), { stable: [metricsText(['http_requests_total{route="/health",version="good-1"} 9'])] }));
    expect(j.held).toBe(true);
  });

  it("is not held when the counter is below the answered probes", () => {
    const j = judge(expectation, evidence(probes(5), { stable: [metricsText(['http_requests_total{route="/health",version="good-1"} 4'])] }));
    expect(j.held).toBe(false);
    expect(j.evidence).toBe('http_requests_total{route="/health",version="good-1"} = 4, requests answered to the harness = 5');
  });

  it("is not held when requests are counted under another version label", () => {
    const text = metricsText(['http_requests_total{route="/health",version="good-1"} 5', 'http_requests_total{route="/health",version="unknown"} 2']);
    const j = judge(expectation, evidence(probes(5), { stable: [text] }));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("; 2 counted under another version label");
  });

  it("is not held when the counts carry no version label at all", () => {
    const j = judge(expectation, evidence(probes(3), { stable: [metricsText(['http_requests_total{route="/health"} 3'])] }));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("= 0, requests answered to the harness = 3; 3 counted under another version label");
  });

  it("is not held when the metrics text is not valid Prometheus text", () => {
    const good = metricsText(['http_requests_total{route="/health",version="good-1"} 5']);
    const j = judge(expectation, evidence(probes(5), { stable: [good, "<html>502 Bad Gateway</html>"] }));
    expect(j.held).toBe(false);
    expect(j.evidence).toMatch(/^\/metrics of stable is not valid Prometheus text: line 1 /);
  });

  it("is not held when no metrics were read or nothing was answered", () => {
    expect(judge(expectation, evidence(probes(5))).evidence).toBe("no /metrics was read from stable");
    expect(judge(expectation, evidence(probes(5), { stable: [] })).held).toBe(false);
    const none = judge(expectation, evidence(probes(0), { stable: [metricsText(['http_requests_total{route="/health",version="good-1"} 5'])] }));
    expect(none.held).toBe(false);
    expect(none.evidence).toBe("the harness got no answer from /health on stable, so there is nothing to count");
  });

  it("is not held for a role that ran no version", () => {
    const j = judge({ ...expectation, version: "ghost" }, evidence(probes(5), { ghost: [metricsText([])] }));
    expect(j.held).toBe(false);
    expect(j.evidence).toBe("no /metrics was read from ghost");
  });
});

describe("describeExpectation", () => {
  it("names version, path, status, step and deadline", () => {
    expect(describeExpectation(probe({ status: 503, during: "outage", withinMs: 1_500, failing: "database" }))).toBe(
      "stable /ready answers 503, naming database as failing during outage within 1.5s of its start and from then on",
    );
  });
});

type PodState = { name: string; ready: boolean; restarts?: number; version?: string };

const runStarted = (timeScale: number) => stamp(0, { type: "run.started", runId: "run-1", scenario: "kind-test", platform: "kind", timeScale, runDir: "runs/run-1" });

function summary(overrides: Partial<DeploymentSummary> = {}): DeploymentSummary {
  return {
    name: "agi-eval-sandbox-stable",
    replicas: 3,
    readyReplicas: 3,
    image: "deploy-gameday/app:good-1",
    limits: { cpu: "2000m", memory: "4Gi" },
    requests: { cpu: "50m", memory: "64Mi" },
    liveness: { path: "/health", port: 8000, initialDelaySeconds: 30, periodSeconds: 10 },
    readiness: { path: "/ready", port: 8000, initialDelaySeconds: 5, periodSeconds: 10 },
    progressDeadlineSeconds: 300,
    maxSurge: 5,
    maxUnavailable: 0,
    serviceAccount: "agi-eval-sandbox",
    automountToken: false,
    ...overrides,
  };
}

const deploymentObserved = (t: number, overrides: Partial<DeploymentSummary> = {}, role = "stable") =>
  stamp(t, { type: "deployment.observed", role, source: "k8s/environments/production", deployment: summary(overrides) });

/** One observation of the role's pods; endpoints default to the ready pods. */
function podsObserved(t: number, pods: PodState[], endpoints = pods.filter((p) => p.ready).length, role = "stable") {
  return stamp(t, {
    type: "pods.observed",
    role,
    endpoints,
    pods: pods.map((p) => ({ name: `agi-eval-sandbox-stable-${p.name}`, version: p.version ?? "good-1", phase: "Running", ready: p.ready, restarts: p.restarts ?? 0 })),
  });
}

const readyPods = (names: string[], extra: Partial<PodState> = {}) => names.map((name) => ({ name, ready: true, ...extra }));

function pods(overrides: Partial<PodsExpectation> = {}): PodsExpectation {
  return { id: "pods-ok", kind: "pods", version: "stable", ...overrides };
}

/** baseline 0..10 s, rollout 10..40 s, after 40..50 s; the Deployment asks for 3 replicas. */
function kindRun(observations: Stamped[], extra: Stamped[] = []): Stamped[] {
  return [
    deploymentObserved(0.5),
    started(0, "baseline"),
    finished(10, "baseline"),
    started(10, "rollout"),
    finished(40, "rollout"),
    started(40, "after"),
    finished(50, "after"),
    ...extra,
    ...observations,
  ].sort((a, b) => a.t - b.t);
}

describe("judge: pods expectations", () => {
  describe("ready", () => {
    it("holds when every state in the step's window shows every replica ready", () => {
      const events = kindRun([podsObserved(1, readyPods(["a", "b", "c"])), podsObserved(12, readyPods(["a", "b", "c"])), podsObserved(30, readyPods(["a", "b", "c"]))]);
      const j = judge(pods({ during: "rollout", ready: "all" }), evidence(events));
      expect(j.held).toBe(true);
      expect(j.evidence).toMatch(/^3 state\(s\) observed, all as expected; at 1\.0s 3\/3 ready, 3 endpoint\(s\) \[a:ready\/0r\/good-1 b:ready\/0r\/good-1 c:ready\/0r\/good-1\] \.\.\. at 30\.0s /);
      expect(j.description).toBe("stable: all pods ready during rollout");
    });

    it("takes the replicas from the role's first deployment.observed event", () => {
      // Two pods ready: all of them for a Deployment of 2, not for one of 3.
      const two = [podsObserved(1, readyPods(["a", "b"])), podsObserved(20, readyPods(["a", "b"]))];
      expect(judge(pods({ during: "rollout", ready: "all" }), evidence(kindRun(two))).held).toBe(false);
      const asksForTwo = [deploymentObserved(0.1, { replicas: 2 }), ...kindRun(two)].sort((a, b) => a.t - b.t);
      expect(judge(pods({ during: "rollout", ready: "all" }), evidence(asksForTwo)).held).toBe(true);
      // Another role's Deployment does not count.
      const otherRole = [deploymentObserved(0.1, { replicas: 2 }, "candidate"), ...kindRun(two)].sort((a, b) => a.t - b.t);
      expect(judge(pods({ during: "rollout", ready: "all" }), evidence(otherRole)).held).toBe(false);
    });

    it("fails naming the state when one state in the window has fewer ready", () => {
      const events = kindRun([
        podsObserved(1, readyPods(["a", "b", "c"])),
        podsObserved(20, [{ name: "a", ready: true }, { name: "b", ready: false }, { name: "c", ready: true }]),
        podsObserved(25, readyPods(["a", "b", "c"])),
      ]);
      const j = judge(pods({ during: "rollout", ready: "all" }), evidence(events));
      expect(j.held).toBe(false);
      expect(j.evidence).toBe("2 ready, not all at 20.0s 2/3 ready, 2 endpoint(s) [a:ready/0r/good-1 b:unready/0r/good-1 c:ready/0r/good-1]");
    });

    it("judges only the named step's window", () => {
      const events = kindRun([podsObserved(1, readyPods(["a", "b", "c"])), podsObserved(42, [{ name: "a", ready: false }]), podsObserved(45, readyPods(["a", "b", "c"]))]);
      expect(judge(pods({ during: "rollout", ready: "all" }), evidence(events)).held).toBe(true);
      expect(judge(pods({ during: "after", ready: "all" }), evidence(events)).held).toBe(false);
      // Without a step the whole run is judged.
      const whole = judge(pods({ ready: "all" }), evidence(events));
      expect(whole.held).toBe(false);
      expect(whole.description).toBe("stable: all pods ready throughout the run");
    });

    it("holds for none and for a number", () => {
      const events = kindRun([podsObserved(5, readyPods(["a", "b", "c"])), podsObserved(10, [{ name: "a", ready: false }, { name: "b", ready: true }, { name: "c", ready: false }], 1)]);
      expect(judge(pods({ during: "rollout", ready: 1 }), evidence(events)).held).toBe(true);
      expect(judge(pods({ during: "rollout", ready: "none" }), evidence(events)).evidence).toMatch(/^1 ready, not none at 10\.0s/);
      const down = kindRun([podsObserved(10, [{ name: "a", ready: false }])]);
      expect(judge(pods({ during: "rollout", ready: "none" }), evidence(down)).held).toBe(true);
    });
  });

  describe("within", () => {
    // At time scale 0.1, 100 s of spec time is 10 s of wall time: the rollout step settles at 20 s.
    const expectation = pods({ during: "rollout", withinMs: 100_000, ready: "all" });
    const good = readyPods(["a", "b", "c"]);
    const bad = [{ name: "a", ready: true }, { name: "b", ready: false }, { name: "c", ready: true }];

    it("forgives a bad state 5 s (wall) after the step starts at time scale 0.1", () => {
      const events = kindRun([podsObserved(1, good), podsObserved(15, bad), podsObserved(18, good)], [runStarted(0.1)]);
      const j = judge(expectation, evidence(events));
      expect(j.held).toBe(true);
      expect(j.evidence).toMatch(/^1 state\(s\) observed, all as expected; at 18\.0s 3\/3 ready/);
      expect(j.description).toBe("stable: all pods ready during rollout within 1m40s of its start and from then on");
    });

    it("does not forgive a bad state 12 s (wall) after the step starts at time scale 0.1", () => {
      const events = kindRun([podsObserved(1, good), podsObserved(22, bad), podsObserved(25, good)], [runStarted(0.1)]);
      const j = judge(expectation, evidence(events));
      expect(j.held).toBe(false);
      expect(j.evidence).toBe("2 ready, not all at 22.0s 2/3 ready, 2 endpoint(s) [a:ready/0r/good-1 b:unready/0r/good-1 c:ready/0r/good-1] (12.0s into rollout, allowed 10.0s, 100s spec)");
    });

    it("counts `within` as spec time: at time scale 1, 100 s reach past the step's end and nothing is judged", () => {
      const events = kindRun([podsObserved(1, good), podsObserved(22, bad), podsObserved(25, good)]);
      const j = judge(expectation, evidence(events));
      expect(j.held).toBe(false);
      expect(j.evidence).toMatch(/longer than step rollout/);
    });

    it("judges the state in effect at the settle moment: the last observation before it", () => {
      // Observed only on change: the bad state of 15 s is still in effect at 20 s.
      const events = kindRun([podsObserved(1, good), podsObserved(15, bad), podsObserved(25, good)], [runStarted(0.1)]);
      const j = judge(expectation, evidence(events));
      expect(j.held).toBe(false);
      expect(j.evidence).toMatch(/^2 ready, not all at 15\.0s 2\/3 ready/);
    });

    it("judges a state from before the step when nothing changed since", () => {
      const held = kindRun([podsObserved(1, good)], [runStarted(0.1)]);
      expect(judge(expectation, evidence(held)).held).toBe(true);
      const notHeld = kindRun([podsObserved(1, bad)], [runStarted(0.1)]);
      expect(judge(expectation, evidence(notHeld)).evidence).toMatch(/^2 ready, not all at 1\.0s/);
    });
  });

  it("checks the Service's endpoints", () => {
    const unready = [{ name: "a", ready: false }, { name: "b", ready: false }, { name: "c", ready: false }];
    const events = kindRun([podsObserved(1, readyPods(["a", "b", "c"])), podsObserved(10, unready, 1), podsObserved(20, unready, 0)]);
    const j = judge(pods({ during: "rollout", endpoints: "none" }), evidence(events));
    expect(j.held).toBe(false);
    expect(j.evidence).toMatch(/^1 endpoint\(s\), not none at 10\.0s 0\/3 ready, 1 endpoint\(s\)/);
    const later = judge(pods({ during: "rollout", withinMs: 5_000, endpoints: "none" }), evidence(events));
    expect(later.held).toBe(false);
    // All three leave the endpoints as the step starts, and stay out.
    const gone = kindRun([podsObserved(1, readyPods(["a", "b", "c"])), podsObserved(10, unready, 0), podsObserved(45, readyPods(["a", "b", "c"]))]);
    expect(judge(pods({ during: "rollout", endpoints: "none" }), evidence(gone)).held).toBe(true);
    expect(judge(pods({ during: "after", withinMs: 5_000, endpoints: "all" }), evidence(gone)).held).toBe(true);
    expect(judge(pods({ during: "after", endpoints: 3 }), evidence(gone)).held).toBe(false);
  });

  it("checks that every pod runs the tag", () => {
    const events = kindRun([
      podsObserved(1, readyPods(["a", "b", "c"])),
      podsObserved(20, [...readyPods(["a", "b"]), { name: "d", ready: true, version: "good-2" }]),
      podsObserved(30, readyPods(["d", "e", "f"], { version: "good-2" })),
    ]);
    expect(judge(pods({ during: "baseline", tag: "good-1" }), evidence(events)).held).toBe(true);
    const j = judge(pods({ during: "rollout", tag: "good-1" }), evidence(events));
    expect(j.held).toBe(false);
    expect(j.evidence).toMatch(/^pods run good-1, good-2, not only good-1 at 20\.0s/);
    expect(j.description).toBe("stable: every pod runs good-1 during rollout");
    expect(judge(pods({ during: "after", tag: "good-2" }), evidence(events)).held).toBe(true);
  });

  describe("restarted", () => {
    it("holds with true when every pod at the window's end restarted in it", () => {
      const events = kindRun([
        podsObserved(1, readyPods(["a", "b", "c"], { restarts: 1 })),
        podsObserved(20, [{ name: "a", ready: false, restarts: 2 }, ...readyPods(["b", "c"], { restarts: 1 })]),
        podsObserved(30, readyPods(["a", "b", "c"], { restarts: 2 })),
      ]);
      const j = judge(pods({ during: "rollout", restarted: true }), evidence(events));
      expect(j.held).toBe(true);
      expect(j.description).toBe("stable: every pod restarted during rollout");
    });

    it("is not held with true when one pod did not restart", () => {
      const events = kindRun([podsObserved(1, readyPods(["a", "b", "c"])), podsObserved(30, [...readyPods(["a", "b"], { restarts: 1 }), { name: "c", ready: true, restarts: 0 }])]);
      const j = judge(pods({ during: "rollout", restarted: true }), evidence(events));
      expect(j.held).toBe(false);
      expect(j.evidence).toMatch(/^2 of 3 pods restarted in the window: at 1\.0s .* -> at 30\.0s /);
    });

    it("does not count restarts from before the window", () => {
      const events = kindRun([podsObserved(1, readyPods(["a", "b", "c"])), podsObserved(5, readyPods(["a", "b", "c"], { restarts: 4 })), podsObserved(45, readyPods(["a", "b", "c"], { restarts: 4 }))]);
      expect(judge(pods({ during: "rollout", restarted: true }), evidence(events)).held).toBe(false);
      expect(judge(pods({ during: "rollout", restarted: false }), evidence(events)).held).toBe(true);
      expect(judge(pods({ during: "baseline", restarted: true }), evidence(events)).held).toBe(true);
    });

    it("counts a pod that appears during the window from its first observation", () => {
      // c is replaced by d, which is first seen with 1 restart and restarts once more.
      const events = kindRun([
        podsObserved(1, readyPods(["a", "b", "c"])),
        podsObserved(15, [...readyPods(["a", "b"], { restarts: 1 }), { name: "d", ready: false, restarts: 1 }]),
        podsObserved(30, [...readyPods(["a", "b"], { restarts: 1 }), { name: "d", ready: true, restarts: 2 }]),
      ]);
      expect(judge(pods({ during: "rollout", restarted: true }), evidence(events)).held).toBe(true);
      // A new pod that never restarts after it was first seen did not restart, whatever its count.
      const fresh = kindRun([
        podsObserved(1, readyPods(["a", "b", "c"])),
        podsObserved(15, [...readyPods(["a", "b"], { restarts: 1 }), { name: "d", ready: true, restarts: 1 }]),
        podsObserved(30, [...readyPods(["a", "b"], { restarts: 1 }), { name: "d", ready: true, restarts: 1 }]),
      ]);
      const j = judge(pods({ during: "rollout", restarted: true }), evidence(fresh));
      expect(j.held).toBe(false);
      expect(j.evidence).toMatch(/^2 of 3 pods restarted in the window, 1 replaced: /);
    });

    it("is not held with true when the window ends without pods", () => {
      const events = kindRun([podsObserved(1, readyPods(["a", "b", "c"])), podsObserved(30, [])]);
      expect(judge(pods({ during: "rollout", restarted: true }), evidence(events)).held).toBe(false);
    });

    it("holds with false when the same pods are there, none restarted", () => {
      const events = kindRun([podsObserved(1, readyPods(["a", "b", "c"])), podsObserved(20, [{ name: "a", ready: false }, ...readyPods(["b", "c"])]), podsObserved(30, readyPods(["a", "b", "c"]))]);
      const j = judge(pods({ during: "rollout", restarted: false }), evidence(events));
      expect(j.held).toBe(true);
      expect(j.description).toBe("stable: no pod restarted during rollout");
    });

    it("is not held with false when a pod was replaced", () => {
      const events = kindRun([podsObserved(1, readyPods(["a", "b", "c"])), podsObserved(20, readyPods(["a", "b", "d"]))]);
      const j = judge(pods({ during: "rollout", restarted: false }), evidence(events));
      expect(j.held).toBe(false);
      expect(j.evidence).toMatch(/^0 of 3 pods restarted in the window, 1 replaced: /);
    });

    it("is not held with false when a pod restarted", () => {
      const events = kindRun([podsObserved(1, readyPods(["a", "b", "c"])), podsObserved(20, [{ name: "a", ready: true, restarts: 1 }, ...readyPods(["b", "c"])])]);
      const j = judge(pods({ during: "rollout", restarted: false }), evidence(events));
      expect(j.held).toBe(false);
      expect(j.evidence).toMatch(/^1 of 3 pods restarted in the window: /);
    });

    it("counts restarts from the window's opening, not from the `within` deadline", () => {
      // The restart comes at 15 s, before the 20 s deadline: it still counts.
      const events = kindRun(
        [podsObserved(1, readyPods(["a", "b", "c"])), podsObserved(15, readyPods(["a", "b", "c"], { restarts: 1 })), podsObserved(30, readyPods(["a", "b", "c"], { restarts: 1 }))],
        [runStarted(0.1)],
      );
      expect(judge(pods({ during: "rollout", withinMs: 100_000, restarted: true }), evidence(events)).held).toBe(true);
      expect(judge(pods({ during: "rollout", withinMs: 100_000, restarted: false }), evidence(events)).held).toBe(false);
    });
  });

  it("is not held, saying why, when the role was never deployed in a cluster", () => {
    const events = kindRun([podsObserved(1, readyPods(["a", "b", "c"]))]).filter((e) => e.type !== "deployment.observed");
    const j = judge(pods({ during: "rollout", ready: "all" }), evidence(events));
    expect(j).toMatchObject({ held: false, evidence: "stable was never deployed in a cluster (no deployment.observed event)" });
  });

  it("is not held when the step never finished", () => {
    const events = [deploymentObserved(0.5), started(0, "baseline"), podsObserved(1, readyPods(["a", "b", "c"]))];
    const j = judge(pods({ during: "baseline", ready: "all" }), evidence(events));
    expect(j).toMatchObject({ held: false, evidence: "step baseline never ran to its end, so there is nothing to judge" });
  });

  it("is not held when the pods were never observed", () => {
    const j = judge(pods({ during: "rollout", ready: "all" }), evidence(kindRun([podsObserved(1, readyPods(["a"]), 1, "candidate")])));
    expect(j).toMatchObject({ held: false, evidence: "no observation of stable's pods in the window" });
  });
});

describe("judge: deployment expectations", () => {
  const spec = loadDeploymentSpec();
  const expectation: DeploymentExpectation = { id: "deployment-matches-document", kind: "deployment", version: "stable" };

  function deploymentEvidence(environment: string | undefined, observed: Partial<DeploymentSummary>, timeScale?: number): Evidence {
    const events = [...(timeScale !== undefined ? [runStarted(timeScale)] : []), deploymentObserved(1, observed)];
    return { ...evidence(events), spec, ...(environment !== undefined ? { environment } : {}) };
  }

  it("reads the document's environments and probes", () => {
    expect([...spec.environments.values()].map((e) => [e.name, e.replicas, e.cpu.text, e.memory.text])).toEqual([
      ["development", 1, "500m", "1Gi"],
      ["staging", 2, "1000m", "2Gi"],
      ["production", 3, "2000m", "4Gi"],
    ]);
    expect(spec.probes).toEqual({ liveness: { path: "/health", port: 8000, initialDelayMs: 30_000 }, readiness: { path: "/ready", port: 8000, initialDelayMs: 5_000 } });
  });

  it.each([
    ["development", 1, "500m", "1Gi"],
    ["staging", 2, "1000m", "2Gi"],
    ["production", 3, "2000m", "4Gi"],
  ])("holds for a Deployment matching %s", (environment, replicas, cpu, memory) => {
    const j = judge(expectation, deploymentEvidence(environment, { replicas, readyReplicas: replicas, limits: { cpu, memory } }));
    expect(j.held).toBe(true);
    expect(j.evidence).not.toContain("MISMATCH");
    expect(j.evidence).toBe(
      `agi-eval-sandbox-stable in k8s/environments/production: replicas ${replicas} (document: ${replicas}); ready ${replicas}/${replicas}; cpu limit ${cpu} (document: ${cpu}); memory limit ${memory} (document: ${memory}); liveness /health:8000 after 30s (document: /health:8000 after 30s); readiness /ready:8000 after 5s (document: /ready:8000 after 5s); cpu limit within 2000m (resource_limits); memory limit within 4Gi (resource_limits); max surge 5 (document: max_concurrent_pods 5); progress deadline 300s (document: readiness_timeout 300s); service account agi-eval-sandbox, API token not mounted (document: access_control rbac)`,
    );
    expect(j.description).toBe(
      "stable's live Deployment has the replicas, resources and probes the document gives its environment, performance-config.yml's limits, surge bound and progress deadline, a ServiceAccount of its own with no API token mounted (access_control: rbac) and network-policies.yml's rules on its pods",
    );
  });

  it("fails a Deployment whose pods run as the namespace's default account or with its API token mounted", () => {
    expect(judge(expectation, deploymentEvidence("production", { serviceAccount: "default", automountToken: false })).evidence).toContain("MISMATCH service account default, API token not mounted (document: access_control rbac)");
    expect(judge(expectation, deploymentEvidence("production", { automountToken: true })).evidence).toContain("MISMATCH service account agi-eval-sandbox, API token mounted");
  });

  it("compares the NetworkPolicies that select the pods with network-policies.yml, rule for rule", () => {
    const rules = { ingress: spec.networkPolicies.ingress.map((r) => ({ ...r })), egress: spec.networkPolicies.egress.map((r) => ({ ...r })) };
    const held = judge(expectation, deploymentEvidence("production", { networkPolicy: { policies: ["agi-eval-sandbox"], ...rules } }));
    expect(held.held).toBe(true);
    expect(held.evidence).toContain(
      "network policy agi-eval-sandbox: ingress from monitoring-namespace:9090, load-balancer:8000; egress to database-namespace:5432, external-apis:443 (document: ingress from monitoring-namespace:9090, load-balancer:8000; egress to database-namespace:5432, external-apis:443)",
    );
    const opened = { ...rules, ingress: [...rules.ingress, { peers: ["?"], ports: [8000] }] };
    expect(judge(expectation, deploymentEvidence("production", { networkPolicy: { policies: ["agi-eval-sandbox"], ...opened } }))).toMatchObject({ held: false, evidence: expect.stringContaining("MISMATCH network policy agi-eval-sandbox: ingress from monitoring-namespace:9090, load-balancer:8000, ?:8000") });
    const none = judge(expectation, deploymentEvidence("production", { networkPolicy: { policies: [], ingress: [], egress: [] } }));
    expect(none).toMatchObject({ held: false, evidence: expect.stringContaining("MISMATCH network policy none (pods not isolated): ingress none; egress none") });
  });

  it("compares probe delays and the progress deadline scaled by the run's time scale (the deadline never below 30 s)", () => {
    const scaled = { liveness: { path: "/health", port: 8000, initialDelaySeconds: 3, periodSeconds: 1 }, readiness: { path: "/ready", port: 8000, initialDelaySeconds: 1, periodSeconds: 1 }, progressDeadlineSeconds: 30 };
    const j = judge(expectation, deploymentEvidence("production", scaled, 0.1));
    expect(j.held).toBe(true);
    expect(j.evidence).toContain("liveness /health:8000 after 3s (document: /health:8000 after 30s, 3s at time scale 0.1)");
    expect(j.evidence).toContain("readiness /ready:8000 after 1s (document: /ready:8000 after 5s, 1s at time scale 0.1)");
    expect(j.evidence).toContain("progress deadline 30s (document: readiness_timeout 300s, 30s at time scale 0.1)");
    const fifth = { ...scaled, liveness: { ...scaled.liveness, initialDelaySeconds: 6 }, progressDeadlineSeconds: 60 };
    expect(judge(expectation, deploymentEvidence("production", fifth, 0.2)).held).toBe(true);
    expect(judge(expectation, deploymentEvidence("production", { ...fifth, progressDeadlineSeconds: 30 }, 0.2)).evidence).toContain("MISMATCH progress deadline 30s (document: readiness_timeout 300s, 60s at time scale 0.2)");
    // Unscaled delays are a mismatch in a scaled run, and the other way round.
    expect(judge(expectation, deploymentEvidence("production", {}, 0.1)).held).toBe(false);
    expect(judge(expectation, deploymentEvidence("production", scaled)).held).toBe(false);
  });

  it("compares quantities by value, not by how they are written", () => {
    expect(judge(expectation, deploymentEvidence("production", { limits: { cpu: "2", memory: "4096Mi" } })).held).toBe(true);
    expect(judge(expectation, deploymentEvidence("staging", { replicas: 2, readyReplicas: 2, limits: { cpu: "1", memory: "2Gi" } })).held).toBe(true);
  });

  it("fails with MISMATCH when the replicas differ", () => {
    const j = judge(expectation, deploymentEvidence("staging", { replicas: 3, readyReplicas: 3, limits: { cpu: "1000m", memory: "2Gi" } }));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("MISMATCH replicas 3 (document: 2)");
    expect(j.evidence.match(/MISMATCH/g)).toHaveLength(1);
  });

  it("fails with MISMATCH on a surge bound, a progress deadline or limits that performance-config.yml does not give", () => {
    const surge = judge(expectation, deploymentEvidence("production", { maxSurge: "25%" }));
    expect(surge).toMatchObject({ held: false, evidence: expect.stringContaining("MISMATCH max surge 25% (document: max_concurrent_pods 5)") });
    const unset = judge(expectation, deploymentEvidence("production", { maxSurge: undefined, progressDeadlineSeconds: undefined }));
    expect(unset.evidence).toContain("MISMATCH max surge default (25%) (document: max_concurrent_pods 5)");
    expect(unset.evidence).toContain("MISMATCH progress deadline default (600)s (document: readiness_timeout 300s)");
    const over = loadDeploymentSpec({ value: { environments: { production: { resources: { cpu: "3000m", memory: "4Gi" } } } }, file: "x.yaml", path: "spec" });
    const bigger = judge(expectation, { ...deploymentEvidence("production", { limits: { cpu: "3000m", memory: "4Gi" } }), spec: over });
    expect(bigger.evidence).toContain("MISMATCH cpu limit within 2000m (resource_limits)");
  });

  it("fails with MISMATCH when not every replica is ready", () => {
    const j = judge(expectation, deploymentEvidence("production", { readyReplicas: 2 }));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("MISMATCH ready 2/3");
  });

  it("fails with MISMATCH when the cpu limit differs in value", () => {
    const j = judge(expectation, deploymentEvidence("production", { limits: { cpu: "1", memory: "4Gi" } }));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("MISMATCH cpu limit 1 (document: 2000m)");
  });

  it("fails with MISMATCH when a limit is missing", () => {
    const j = judge(expectation, deploymentEvidence("production", { limits: {} }));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("MISMATCH cpu limit none (document: 2000m)");
    expect(j.evidence).toContain("MISMATCH memory limit none (document: 4Gi)");
  });

  it("fails with MISMATCH when the liveness path differs or a probe is missing", () => {
    const j = judge(expectation, deploymentEvidence("production", { liveness: { path: "/healthz", port: 8000, initialDelaySeconds: 30, periodSeconds: 10 } }));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("MISMATCH liveness /healthz:8000 after 30s (document: /health:8000 after 30s)");
    const missing = judge(expectation, deploymentEvidence("production", { readiness: null }));
    expect(missing.held).toBe(false);
    expect(missing.evidence).toContain("MISMATCH readiness missing (document: /ready:8000 after 5s)");
  });

  it("accepts the port written as a string", () => {
    expect(judge(expectation, deploymentEvidence("production", { liveness: { path: "/health", port: "8000", initialDelaySeconds: 30, periodSeconds: 10 } })).held).toBe(true);
  });

  it("is not held when there is no environment to compare with", () => {
    const j = judge(expectation, deploymentEvidence(undefined, {}));
    expect(j).toMatchObject({ held: false, evidence: "the scenario names no environment of the document to compare with" });
    expect(judge(expectation, deploymentEvidence("qa", {})).held).toBe(false);
    expect(judge(expectation, { ...deploymentEvidence("production", {}), spec: undefined }).held).toBe(false);
  });

  it("is not held when the role was never deployed in a cluster", () => {
    const j = judge({ ...expectation, version: "candidate" }, deploymentEvidence("production", {}));
    expect(j).toMatchObject({ held: false, evidence: "candidate was never deployed in a cluster (no deployment.observed event)" });
  });
});
