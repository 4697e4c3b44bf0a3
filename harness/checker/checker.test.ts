import { describe, expect, it } from "vitest";
import type { MetricsExpectation, ProbeExpectation } from "../scenario/scenario.js";
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
      expect(j.evidence).toBe("first 503 came 5.50s after outage started, later than 2s");
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
