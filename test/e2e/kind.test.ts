// lane: kind (scripts/test.sh runs the kind files one after another, beside the Docker lane)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NewKindClusters } from "../support/kind-clusters.js";
import { cli, evidenceDirs, leftBy, passedRun, readEvents, unpassed, type CliResult, type RunEvent } from "./cli.js";

// Every scenario on a real kind cluster, through the CLI: one invocation runs them all in one
// cluster (created from the locally built node image, deleted at the end), as nightly CI would.
const STRATEGIES = [
  "canary-fail",
  "canary-fail-gradual",
  "canary-success",
  "canary-latency-fail",
  "bluegreen-success",
  "bluegreen-fail",
  "health-check-failure",
  "health-check-recovers",
];
const KIND_ONLY = ["env-development", "env-staging", "env-production", "manual-rollback", "oom-restart", "secrets-at-rest", "secret-rotation", "rbac", "network-policies", "autoscale"];
const ALL = [...STRATEGIES, "health-endpoints", "kill-recovers", "crash-loop", "partition-recovers", "dr-pg-restore", "dr-last-known-good", ...KIND_ONLY];

interface Results {
  scenario: string;
  verdict: string;
  platform: string;
  exitCode: number;
  expectations: Array<{ id: string; held: boolean; evidence: string; inconclusive?: string }>;
  rollback: null | { trigger: string; stage: string };
}

const clusters = new NewKindClusters();

let run: CliResult;
const results = new Map<string, { results: Results; events: RunEvent[]; runDir: string }>();

beforeAll(async () => {
  await clusters.remember();
  // --retries 1, as nightly CI: a run made inconclusive by a saturated machine is run once more (never a failed one).
  run = await cli(["scenario", ...ALL, "--platform", "kind", "--retries", "1"]);
  for (const again of run.stdout.match(/^inconclusive \(.*\): running .* again.*$/gm) ?? []) console.warn(`[kind.test] ${again}`);
  for (const runDir of evidenceDirs(run.stdout)) {
    const r = JSON.parse(readFileSync(join(runDir, "results.json"), "utf8")) as Results;
    const events = readEvents(runDir);
    results.set(r.scenario, { results: r, events, runDir });
  }
}, 40 * 60_000);

// Whatever happened, leave no cluster of this test behind.
afterAll(() => clusters.removeNew(), 120_000);

function scenario(name: string) {
  return passedRun(results, name, run, { platform: "kind" });
}

describe("every scenario with --platform kind, in one cluster", () => {
  it("runs them all in one invocation that exits 0, creates one cluster, and deletes it at the end", async () => {
    expect(run.code, `${unpassed(results)}\n${run.stdout.slice(-3000)}`).toBe(0);
    expect([...results.keys()].sort()).toEqual([...ALL].sort());
    // Every run of the command (a run made again under --retries too) used the one cluster the first created.
    const dirs = evidenceDirs(run.stdout);
    const created = dirs.flatMap((d) => readEvents(d).filter((e) => e.type === "cluster.ready"));
    expect(created.map((e) => e.created)).toEqual([true, ...Array(dirs.length - 1).fill(false)]);
    expect(run.stdout).toMatch(/summary:/);
    expect(await clusters.new()).toEqual([]);
    expect(await leftBy(run.pid)).toEqual({ containers: 0, networks: 0 });
  });

  for (const name of STRATEGIES) {
    it(`${name} passes on kind as on Docker`, () => {
      const { events } = scenario(name);
      // The versions ran as Deployments in the run's namespace (side by side), the router and Prometheus in the cluster,
      // started once the versions' pods had addresses, beside their rollout.
      const deployments = events.filter((e) => e.type === "resource.started" && e.kind === "deployment").map((e) => e.role as string);
      expect([...deployments].sort()).toEqual(["candidate", "prometheus", "router", "stable"]);
    });
  }

  it("kill-recovers on kind: the killed pod's container is restarted by the kubelet, and the scenario's recovery holds", () => {
    const { events } = scenario("kill-recovers");
    const injected = events.find((e) => e.type === "fault.injected" && e.fault === "kill");
    expect(injected, "no kill was injected").toBeDefined();
    const restarted = events.filter((e) => e.type === "pods.observed" && e.role === "stable" && (e.pods as Array<{ restarts: number }>).some((p) => p.restarts > 0));
    expect(restarted.length, "the API server never showed a restart of a stable pod").toBeGreaterThan(0);
    // The kubelet's restart is on the timeline for the restarts expectation, as the platform's own.
    expect(events.filter((e) => e.type === "instance.restarted")).toMatchObject([{ role: "stable", instance: 0, restarts: 1, by: "the kubelet (restartPolicy Always)" }]);
  });

  it("crash-loop on kind: the kubelet restarts the killed container with its back-off and shows CrashLoopBackOff, then starts it for good", () => {
    const { events } = scenario("crash-loop");
    const restarts = events.filter((e) => e.type === "instance.restarted");
    expect(restarts.length).toBeGreaterThanOrEqual(2);
    expect(restarts.every((e) => e.by === "the kubelet (restartPolicy Always)")).toBe(true);
    expect(restarts.some((e) => e.waiting === "CrashLoopBackOff"), JSON.stringify(restarts)).toBe(true);
    // The kubelet restarts at once, then backs off 10 s and more (measured: 16 to 21 s between the first two restarts).
    const gaps = restarts.slice(1).map((e, i) => e.t - restarts[i]!.t);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(8);
    expect(String(events.find((e) => e.type === "fault.undone")?.detail)).toMatch(/^killed \d+ time\(s\), restarted by the kubelet \d+ time\(s\) while the loop ran \(seen waiting: CrashLoopBackOff\); the kubelet starts it again after its back-off$/);
    // The API server's view agrees: the pod's restarts at the end are at least the loop's.
    const pods = events.filter((e) => e.type === "pods.observed" && e.role === "stable") as Array<RunEvent & { pods: Array<{ restarts: number; waiting?: string }> }>;
    expect(Math.max(...pods.at(-1)!.pods.map((p) => p.restarts))).toBeGreaterThanOrEqual(restarts.length);
    expect(pods.some((s) => s.pods.some((p) => p.waiting === "CrashLoopBackOff"))).toBe(true);
  });

  it("dr-last-known-good on kind: kubectl set image to the version the history names, rolled out behind the Service with no request dropped", () => {
    const { events } = scenario("dr-last-known-good");
    const recovery = events.find((e) => e.type === "action.performed" && e.action === "deploy-last-known-good");
    expect(String(recovery?.detail)).toMatch(/^last known good good-1 from the run's history \(\d+ requests, 0\.00% failed; erroring-1 was live\); deployment \S+: image deploy-gameday\/app:good-1, rolled out, every pod ready$/);
    // The router sends to the role's Service, which follows the rolling update: every request was answered by a pod.
    expect(events.filter((e) => e.type === "load.second" && e.version === "(none)")).toEqual([]);
    // The pods at the end run good-1 and are not the ones that ran it before the bad release.
    const pods = events.filter((e) => e.type === "pods.observed") as Array<RunEvent & { pods: Array<{ name: string; version: string; ready: boolean }> }>;
    const bad = events.find((e) => e.type === "step.started" && e.step === "bad-release")!;
    const before = new Set(pods.filter((p) => p.t < bad.t).flatMap((p) => p.pods.map((x) => x.name)));
    const last = pods.at(-1)!.pods;
    expect(last.map((p) => [p.version, p.ready])).toEqual([
      ["good-1", true],
      ["good-1", true],
    ]);
    expect(last.some((p) => before.has(p.name))).toBe(false);
  });

  it("dr-pg-restore on kind: database-secret names the fresh server, the Deployment restarts onto it, the load keeps going through the Service", () => {
    const { events } = scenario("dr-pg-restore");
    const pointed = events.find((e) => e.type === "recovery.phase" && e.phase === "service-pointed");
    expect(String(pointed?.detail)).toMatch(/^database-secret points at [\d.]+:5432; deployments \S+ restarted$/);
    // The pods that serve after the restore are not the ones from before it (a rollout restart replaced them).
    const podsAt = (t: number) => new Set(events.filter((e) => e.type === "probe.observed" && Math.abs(e.t - t) < 2).map((e) => String(e.target)));
    const disaster = events.find((e) => e.type === "recovery.phase" && e.phase === "disaster")!;
    const after = events.filter((e) => e.type === "probe.observed").at(-1)!;
    const before = podsAt(disaster.t);
    expect([...podsAt(after.t)].some((p) => before.has(p))).toBe(false);
    // Writes succeeded again after the restore, through the role's Service.
    expect(events.find((e) => e.type === "recovery.phase" && e.phase === "first-write")).toBeDefined();
  });

  it("canary-fail on kind: the error-rate trigger rolls back during canary-10", () => {
    expect(scenario("canary-fail").results.rollback).toMatchObject({ trigger: "error_rate", stage: "canary-10" });
  });

  it("health-endpoints: /ready names the frozen database through the API server's pod proxy", () => {
    const { events } = scenario("health-endpoints");
    const ready503 = events.filter((e) => e.type === "probe.observed" && e.path === "/ready" && e.status === 503);
    expect(ready503.length).toBeGreaterThan(3);
    expect((ready503[0]!.body as { failing: string[] }).failing).toContain("database");
  });

  for (const [env, replicas, cpu, memory] of [
    ["development", 1, "500m", "1Gi"],
    ["staging", 2, "1", "2Gi"],
    ["production", 3, "2", "4Gi"],
  ] as const) {
    it(`env-${env}: the overlay's ${replicas} replica(s) and limits, unready without the database, restarted when liveness fails`, () => {
      const { events, results: r } = scenario(`env-${env}`);
      const observed = events.find((e) => e.type === "deployment.observed") as unknown as { deployment: { replicas: number; limits: Record<string, string>; liveness: { path: string } } };
      // performance-config.yml on the Deployment: the surge bound and the progress deadline (300 s at 0.1, floored at 30 s).
      expect(observed.deployment).toMatchObject({ replicas, limits: { cpu, memory }, liveness: { path: "/health" }, maxSurge: 5, maxUnavailable: 0, progressDeadlineSeconds: 30 });
      const ids = r.expectations.map((e) => e.id);
      expect(ids).toEqual(expect.arrayContaining(["unready-without-database", "not-restarted-without-database", "liveness-restarts"]));
      // The evidence comes from the API server: pods unready and out of the endpoints, with their restart counts.
      // (Pods and EndpointSlices are two reads a moment apart, so one state may show the one changed before the other.)
      const stopped = events.findIndex((e) => e.type === "fault.injected" && e.fault === "database-stop");
      const down = events
        .slice(stopped)
        .find((e) => e.type === "pods.observed" && e.endpoints === 0 && (e.pods as Array<{ ready: boolean }>).every((p) => !p.ready)) as { pods: Array<{ ready: boolean; restarts: number }> } | undefined;
      expect(down?.pods).toHaveLength(replicas);
      expect(down!.pods.every((p) => p.restarts === 0)).toBe(true);
    });
  }

  it("manual-rollback: the bad release crashes, rollout undo brings back good-1, /health 200", () => {
    const { events } = scenario("manual-rollback");
    const actions = events.filter((e) => e.type === "action.performed").map((e) => `${e.action}: ${e.detail}`);
    expect(actions[0]).toMatch(/^rollout: .*crashing-1/);
    expect(actions[1]).toMatch(/^rollout-undo: .*rolled back to revision 1 \(deploy-gameday\/app:good-1\)/);
  });

  it("secrets-at-rest: database-secret in etcd is aescbc ciphertext, its URL nowhere in it, and the service still reads it", () => {
    const { results: r } = scenario("secrets-at-rest");
    const encrypted = r.expectations.find((e) => e.id === "database-secret-encrypted")!;
    expect(encrypted.evidence).toMatch(/^\/registry\/secrets\/\S+\/database-secret in etcd: \d+ bytes beginning "k8s:enc:aescbc:v1:key\d+:/);
    expect(encrypted.evidence).toContain("none of its 1 value(s) readable in the stored bytes");
  });

  it("secret-rotation: the password changed in PostgreSQL and database-secret, refused when old, every pod on the new one; the key rotated, nothing left under the old", () => {
    const { results: r, events } = scenario("secret-rotation");
    const started = events.filter((e) => e.type === "secret.rotation.started");
    expect(started).toHaveLength(1);
    // At 0.00001 the document's 30 days are 25.9 s of wall time, counted from when the services came up.
    expect(started[0]!.everySpecSeconds).toBe(30 * 86_400);
    const changed = events.find((e) => e.type === "secret.password.changed")!;
    expect(changed.oldPassword).toMatchObject({ refused: true, code: "28P01" });
    expect(String(changed.services)).toMatch(/^database-secret points at [\d.]+:5432; deployments agi-eval-sandbox-stable restarted$/);
    // Staging's two replicas, both new pods, each seen in pg_stat_activity with a session opened after the change.
    const pods = changed.pods as Array<{ pod: string; sessionAfterSeconds?: number }>;
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.sessionAfterSeconds, p.pod).toBeGreaterThanOrEqual(0);
    const key = events.find((e) => e.type === "secret.key.rotated")!;
    const [from, to] = [(key.from as string[])[0]!, String(key.to)];
    expect(Number(to.slice(3))).toBe(Number(from.slice(3)) + 1);
    expect(key.rewritten).toBeGreaterThanOrEqual(1);
    expect(events.some((e) => e.type === "secret.rotation.failed")).toBe(false);
    const rotated = r.expectations.find((e) => e.id === "rotated-once")!;
    // etcd read at the end: every Secret of the cluster under the new key, none under the old one or in the clear.
    expect(rotated.evidence).toMatch(new RegExp(`at the end: configuration keys ${to} \\(loaded by the API server[^)]*\\); Secrets in etcd: \\d+ under aescbc/${to}$`));
    expect(r.expectations.find((e) => e.id === "database-secret-encrypted")!.evidence).toContain(`beginning "k8s:enc:aescbc:v1:${to}:`);
    // The load ran through the router the whole time; what failed stayed under the rollback trigger's 5%.
    const load = events.find((e) => e.type === "load.finished")!;
    expect(Number(load.failed) / Number(load.requests)).toBeLessThan(0.05);
    expect(r.expectations.find((e) => e.id === "no-rollback-worth-of-errors")!.held).toBe(true);
  });

  it("rbac: the harness acts in each run's namespace as its own ServiceAccount; the service's account reads no Secret and creates nothing", () => {
    // Every kind run of the invocation worked as gameday-harness in its namespace, as the API server itself reported (a SelfSubjectReview).
    for (const [name, { events }] of results) {
      const identity = events.find((e) => e.type === "kubernetes.identity");
      expect(identity, name).toBeDefined();
      expect(identity!.user).toBe(`system:serviceaccount:${String(identity!.namespace)}:gameday-harness`);
    }
    const { results: r } = scenario("rbac");
    const evidence = (id: string) => r.expectations.find((e) => e.id === id)!.evidence;
    expect(evidence("service-cannot-read-secrets")).toMatch(/^SubjectAccessReview: system:serviceaccount:\S+:agi-eval-sandbox may not get secrets in \S+; expected denied$/);
    expect(evidence("harness-may-patch-deployments")).toMatch(/^SubjectAccessReview: system:serviceaccount:\S+:gameday-harness MAY patch apps\/deployments in \S+ \(RBAC: allowed by RoleBinding "gameday-harness\/\S+" of Role "gameday-harness" to ServiceAccount "gameday-harness\/\S+"\); expected allowed$/);
    expect(evidence("harness-cannot-touch-kube-system")).toContain("may not get secrets in kube-system");
    expect(evidence("own-account-no-token")).toContain("service account agi-eval-sandbox, API token not mounted (document: access_control rbac)");
  });

  it("network-policies: the agent enforces network-policies.yml; allowed connections complete, denied ones get no answer, and the canary runs through it", () => {
    const { results: r, events } = scenario("network-policies");
    const agent = events.find((e) => e.type === "kubernetes.addon" && e.name === "kube-network-policies");
    expect(agent, "the policy agent was never reported running").toBeDefined();
    const applied = events.find((e) => e.type === "kubernetes.network-policy")!;
    expect(applied.policies).toEqual(["agi-eval-sandbox"]);
    expect((applied.databaseAddresses as string[]).length).toBeGreaterThan(0);
    const evidence = (id: string) => r.expectations.find((e) => e.id === id)!;
    for (const e of r.expectations) expect(e.held, `${e.id}: ${e.evidence}`).toBe(true);
    expect(evidence("policy-is-the-documents").evidence).toContain(
      "network policy agi-eval-sandbox: ingress from monitoring-namespace:9090, load-balancer:8000; egress to database-namespace:5432, external-apis:443",
    );
    // Allowed: the handshake completed. Denied: dropped by the agent (no answer), not refused, while an unselected pod reaches the same ports.
    for (const id of ["monitoring-scrapes-metrics-port", "load-balancer-reaches-app-port", "service-reaches-database", "control-router-listens", "control-prometheus-listens", "control-database-listens"]) {
      expect(evidence(id).evidence, id).toMatch(/: connected after \d+ ms; expected allowed$/);
    }
    for (const id of ["plain-pod-no-app-port", "monitoring-no-app-port", "load-balancer-no-metrics-port", "load-balancer-elsewhere-no-app-port", "outside-no-metrics-port", "service-no-router", "service-no-prometheus"]) {
      expect(evidence(id).evidence, id).toMatch(/: no answer \(dropped\) after \d+ ms .*; expected denied$/);
    }
    // Prometheus ran in the run's monitoring namespace and scraped the metrics port through the policy: every analysis window had requests.
    const prometheus = events.find((e) => e.type === "resource.started" && e.role === "prometheus")!;
    expect(String(prometheus.id)).toMatch(/-monitoring\/prometheus$/);
    const windows = events.filter((e) => e.type === "analysis.evaluated" && e.version === "good-2");
    expect(new Set(windows.map((w) => w.stage)).size).toBeGreaterThanOrEqual(2);
    for (const w of windows) expect(Number(w.requests), JSON.stringify(w)).toBeGreaterThan(0);
  });

  it("autoscale: under a ramping load the autoscaler takes production above 3 replicas (never past 10), and back to 3 after", () => {
    const { results: r, events } = scenario("autoscale");
    expect(events.some((e) => e.type === "kubernetes.addon" && e.name === "metrics-server")).toBe(true);
    for (const e of r.expectations) expect(e.held, `${e.id}: ${e.evidence}`).toBe(true);
    const evidence = (id: string) => r.expectations.find((e) => e.id === id)!.evidence;
    expect(evidence("autoscaler-is-the-documents")).toContain("autoscaler 3-10 replicas at CPU 70%, memory 80% (document: 3-10 at 70%, 80%)");
    // The peak is judged on the ready pods and the autoscaler's count, with the CPU use that drove it.
    const peak = /peak above 3: at [\d.]+s (\d+)\/\d+ pods ready; autoscaler (\d+) current, \d+ desired \(3-10\), CPU (\d+)% of requests/.exec(evidence("scales-out-under-load"));
    expect(peak, evidence("scales-out-under-load")).not.toBeNull();
    expect(Number(peak![1])).toBeGreaterThan(3);
    expect(Number(peak![2])).toBeLessThanOrEqual(10);
    expect(evidence("scales-back-after")).toMatch(/(^|; )3 at the end: at [\d.]+s 3\/3 pods ready; autoscaler 3 current, 3 desired/);
  });
});
