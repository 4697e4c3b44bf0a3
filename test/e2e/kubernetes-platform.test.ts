// lane: kind (scripts/test.sh runs the kind files one after another, beside the Docker lane)
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../harness/common/clock.js";
import { exec } from "../../harness/common/exec.js";
import { K8S_LABEL } from "../../harness/platforms/kind/manifests.js";
import { NewKindClusters } from "../support/kind-clusters.js";
import { ScenarioFiles } from "../support/scenario-files.js";
import { StagingCluster } from "../../harness/bench/staging-cluster.js";
import { cli, leftBy, readEvents, readResults } from "./cli.js";

// --platform kubernetes: canary-fail on a cluster the harness did not create (a kind cluster of a control plane
// and a worker made here with kind's own CLI, standing in for a company's staging cluster) and a registry its
// nodes pull from (Debian's docker-registry in a container). The harness gets the kubeconfig and the registry's
// name, makes and removes only its run's namespaces, and refuses a context that looks like production.
let staging: StagingCluster;
const clusters = new NewKindClusters();
/** A namespace of the team's, there before the run: the harness must leave it as it is. */
const TEAM = "team-apps";
const files = new ScenarioFiles();

beforeAll(async () => {
  files.open("gameday-kubernetes-");
  await clusters.remember();
  staging = await StagingCluster.create({ workers: 1 });
  const core = staging.adminConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: TEAM } } });
  await waitDefaultAccount(core, TEAM);
  await core.createNamespacedConfigMap({ namespace: TEAM, body: { metadata: { name: "settings" }, data: { owner: "platform-team" } } });
}, 300_000);
afterAll(async () => {
  files.close();
  await staging?.destroy();
  await clusters.removeNew();
}, 120_000);

async function waitDefaultAccount(core: CoreV1Api, namespace: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await core.readNamespacedServiceAccount({ name: "default", namespace }).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The namespaces of the cluster, with their run label (the harness's) when they have one. */
async function namespaces(): Promise<Array<{ name: string; run: string | undefined; phase: string | undefined }>> {
  const list = await staging.adminConfig().makeApiClient(CoreV1Api).listNamespace();
  return list.items.map((n) => ({ name: n.metadata!.name!, run: n.metadata?.labels?.[K8S_LABEL.runId], phase: n.status?.phase }));
}

describe("--platform kubernetes on a cluster the harness did not create", () => {
  it("refuses a context whose name suggests production, saying how to allow it, and starts nothing", async () => {
    const before = await namespaces();
    const prod = staging.kubeconfigWithContext("production-eu");
    const r = await cli(["scenario", "canary-fail", "--platform", "kubernetes", "--kubeconfig", prod, "--registry", staging.registry]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('refusing kubeconfig context "production-eu": its name "production-eu" suggests production');
    expect(r.stderr).toContain("--allow-context production-eu");
    expect(r.runDir).toBeUndefined();
    expect(await namespaces()).toEqual(before);
    // A flag for another context does not count; the cluster flags need --platform kubernetes.
    const other = await cli(["scenario", "canary-fail", "--platform", "kubernetes", "--kubeconfig", prod, "--allow-context", "production-us"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('--allow-context names "production-us", not "production-eu"');
    const off = await cli(["scenario", "canary-fail", "--kubeconfig", staging.kubeconfig]);
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/--kubeconfig is for a cluster the harness did not create.*\n.*--platform kubernetes/);
  }, 120_000);

  it("canary-fail: images pushed to the registry and pulled by digest, PostgreSQL in the cluster, the router reached by kubectl port-forward; only the run's namespaces made, and removed", async () => {
    const run = await cli(["scenario", "canary-fail", "--platform", "kubernetes", "--kubeconfig", staging.kubeconfig, "--registry", staging.registry]);
    expect(run.runDir, run.stdout + run.stderr).toBeDefined();
    const results = readResults(run.runDir!);
    const events = readEvents(run.runDir!);
    // The strategy's decision and what followed it held. The latency bound holds too, unless the machine (which runs
    // the cluster as well here) was saturated: the harness then says
    // inconclusive (exit 3), never passed or failed.
    for (const e of results.expectations) if (!e.inconclusive) expect(e.held, `${e.id}: ${e.evidence}`).toBe(true);
    for (const e of results.expectations.filter((x) => x.inconclusive)) expect(e.id, `${e.evidence} (${e.inconclusive})`).toBe("stable-unharmed");
    expect(run.code, run.stdout).toBe(results.expectations.some((e) => e.inconclusive) ? 3 : 0);
    expect(results.expectations.find((e) => e.id === "rolled-back-by-error-rate")?.held).toBe(true);
    expect(events.find((e) => e.type === "run.started")?.platform).toBe("kubernetes");
    expect(events.filter((e) => e.type === "cluster.ready").map((e) => [e.name, e.created, e.external])).toEqual([[`kind-${staging.name}`, false, true]]);
    // Every image came from the registry, by digest.
    const pushed = events.filter((e) => e.type === "note" && String(e.message).startsWith("pushed "));
    expect(pushed.map((e) => String(e.message).split(" ")[1]).sort()).toEqual(["deploy-gameday/app:erroring-1", "deploy-gameday/app:good-1", "deploy-gameday/haproxy:2.6", "deploy-gameday/postgres:15", "deploy-gameday/prometheus:2.42"]);
    const deployment = events.find((e) => e.type === "deployment.observed" && e.role === "stable") as { deployment: { image: string } } | undefined;
    expect(deployment?.deployment.image).toMatch(new RegExp(`^${staging.registry}/app@sha256:[0-9a-f]{64}$`));
    // PostgreSQL ran as a StatefulSet in the run's database namespace.
    expect(events.find((e) => e.type === "database.ready")?.server).toMatch(/-database\/postgres$/);
    expect(events.some((e) => e.type === "resource.started" && e.kind === "statefulset")).toBe(true);
    // The run's namespaces, and only they, were made; they are gone (or going) after; the team's is untouched.
    const runId = results.runId;
    const made = events.filter((e) => e.type === "resource.started" && e.kind === "namespace").map((e) => String(e.name));
    expect(made.sort()).toEqual([runId, `${runId}-database`, `${runId}-monitoring`].sort());
    const removed = events.filter((e) => e.type === "resource.removed" && e.kind === "namespace").map((e) => String(e.name));
    expect(removed.sort()).toEqual(made.sort());
    const left = (await namespaces()).filter((n) => n.run === runId && n.phase !== "Terminating");
    expect(left).toEqual([]);
    expect((await namespaces()).filter((n) => !n.run).map((n) => n.name).sort()).toEqual(["default", "kube-node-lease", "kube-public", "kube-system", TEAM]);
    const settings = await staging.adminConfig().makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: "settings", namespace: TEAM });
    expect(settings.data).toEqual({ owner: "platform-team" });
    // Nothing of the harness's own on this machine (the staging cluster and its registry are the test's).
    expect(await leftBy(run.pid)).toEqual({ containers: 0, networks: 0 });
    expect((await clusters.new()).filter((n) => n !== staging.name)).toEqual([]);
    // The registry's tags were only the pushes' handles: none is left on this machine's Docker.
    const tags = await exec("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    expect(tags.stdout.split("\n").filter((t) => t.startsWith(`${staging.registry}/`))).toEqual([]);
  }, 10 * 60_000);

  it("without --registry, a kind cluster's nodes get the images by kind load, and the pods run them as loaded", async () => {
    const file = files.write(`name: loaded
description: the service and its database on a cluster of someone else's, its images loaded into the nodes
versions:
  stable: { image: app, tag: good-1 }
monitor:
  interval: 200ms
  targets:
    - { role: stable, paths: [/ready] }
steps:
  - name: watch
    observe: 2s
expect:
  - id: ready
    probe: { role: stable, path: /ready, status: 200 }
`);
    const run = await cli(["scenario", file, "--platform", "kubernetes", "--kubeconfig", staging.kubeconfig]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("images are loaded into the kind cluster's nodes (no --registry)");
    expect(run.stdout).toMatch(/kind load docker-image .*deploy-gameday\/app:good-1/);
    expect(run.stdout).toMatch(/kind load docker-image .*deploy-gameday\/postgres:15/);
    const deployment = readEvents(run.runDir!).find((e) => e.type === "deployment.observed") as { deployment: { image: string } } | undefined;
    expect(deployment?.deployment.image).toBe("deploy-gameday/app:good-1");
  }, 5 * 60_000);

  it("SIGKILL: the watchdog deletes the run's namespaces in the cluster, and only them", async () => {
    let sent = false;
    const r = await cli(["scenario", "canary-fail", "--platform", "kubernetes", "--kubeconfig", staging.kubeconfig, "--registry", staging.registry], {
      onStdout: (text, child) => {
        // Once the namespaces, the database and a Deployment exist.
        if (!sent && /started stable deployment/.test(text)) {
          sent = true;
          child.kill("SIGKILL");
        }
      },
    });
    expect(sent, r.stdout).toBe(true);
    expect(r.code).toBe(null);
    const runId = /^\[ *[\d.]+s\] run (\S+):/m.exec(r.stdout)?.[1];
    expect(runId, r.stdout).toBeDefined();
    await waitFor(async () => ((await namespaces()).some((n) => n.run === runId && n.phase !== "Terminating") ? undefined : true), {
      description: `the namespaces of run ${runId} to be deleted`,
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    expect((await namespaces()).filter((n) => !n.run).map((n) => n.name).sort()).toEqual(["default", "kube-node-lease", "kube-public", "kube-system", TEAM]);
    expect(await leftBy(r.pid)).toEqual({ containers: 0, networks: 0 });
  }, 5 * 60_000);
});
