import { describe, expect, it } from "vitest";
import type { ConnectionCheck, ConnectionTest } from "../platforms/platform.js";
import type { ConnectivityExpectation } from "../scenario/scenario.js";
import { clusterSources } from "../../test/support/evidence.js";
import { connectionKey } from "./connectivity-expectation.js";
import { collectEvidence, describeExpectation, judge, type Evidence } from "./checker.js";

const denied: ConnectivityExpectation = { id: "outside-no-app", kind: "connectivity", from: "outside/load-balancer", to: "stable", port: 8000, allowed: false };
const allowed: ConnectivityExpectation = { id: "scrape", kind: "connectivity", from: "monitoring/pod", to: "stable", port: 9090, allowed: true };
const tested = (e: ConnectivityExpectation, over: Partial<ConnectionTest>): ConnectionTest => ({
  from: e.from,
  to: e.to,
  port: e.port,
  source: `run-1-${e.from.split("/")[0]}/probe-pod-x (10.244.0.9)`,
  address: `10.244.0.5:${e.port}`,
  outcome: "connected",
  ms: 1,
  detail: "",
  ...over,
});
const evidence = (tests: Array<[ConnectivityExpectation, ConnectionTest | { error: string }]>): Evidence => ({
  events: [],
  versions: new Map(),
  metrics: new Map(),
  connectivity: new Map(tests.map(([e, t]) => [connectionKey(e), t])),
});

describe("judge: connectivity (network-policies.yml)", () => {
  it("holds an allowed connection that completed, and a denied one that got no answer or a refusal, naming the pod and the address", () => {
    expect(judge(allowed, evidence([[allowed, tested(allowed, { ms: 3 })]]))).toMatchObject({
      held: true,
      evidence: "from run-1-monitoring/probe-pod-x (10.244.0.9) to stable at 10.244.0.5:9090: connected after 3 ms; expected allowed",
    });
    expect(judge(denied, evidence([[denied, tested(denied, { outcome: "timeout", ms: 2001, detail: "no answer in 2000 ms" })]]))).toMatchObject({
      held: true,
      evidence: "from run-1-outside/probe-pod-x (10.244.0.9) to stable at 10.244.0.5:8000: no answer (dropped) after 2001 ms (no answer in 2000 ms); expected denied",
    });
    expect(judge(denied, evidence([[denied, tested(denied, { outcome: "refused", detail: "ECONNREFUSED" })]])).held).toBe(true);
    expect(describeExpectation(denied)).toBe("a connection from outside/load-balancer to stable:8000 is denied (network-policies.yml)");
  });

  it("fails a denied connection that completed, an allowed one that did not, a test that could not be made, and one never made", () => {
    expect(judge(denied, evidence([[denied, tested(denied, {})]])).evidence).toMatch(/^MISMATCH from .* connected after 1 ms; expected denied$/);
    expect(judge(allowed, evidence([[allowed, tested(allowed, { outcome: "timeout", ms: 2000 })]])).held).toBe(false);
    expect(judge(allowed, evidence([[allowed, tested(allowed, { outcome: "refused" })]])).held).toBe(false);
    // An error of the test (no route, a reset mid-way) is no evidence either way.
    expect(judge(denied, evidence([[denied, tested(denied, { outcome: "error", detail: "EHOSTUNREACH" })]])).held).toBe(false);
    expect(judge(denied, evidence([[denied, { error: "no running pod of stable" }]]))).toMatchObject({ held: false, evidence: "the connection from outside/load-balancer to stable:8000 could not be tried: no running pod of stable" });
    expect(judge(denied, { events: [], versions: new Map(), metrics: new Map() }).held).toBe(false);
  });

  it("tries each connection once", async () => {
    const tried: ConnectionCheck[] = [];
    const sources = clusterSources({
      testConnection: async (check: ConnectionCheck): Promise<ConnectionTest> => {
        tried.push(check);
        return tested({ ...denied, ...check }, {});
      },
    });
    const collected = await collectEvidence([denied, { ...denied, id: "again" }, allowed], sources);
    expect(tried).toEqual([
      { from: "outside/load-balancer", to: "stable", port: 8000 },
      { from: "monitoring/pod", to: "stable", port: 9090 },
    ]);
    expect(collected.connectivity?.size).toBe(2);
  });
});
