// lane: kind (scripts/test.sh runs the kind files one after another, beside the Docker lane)
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../harness/common/clock.js";
import { ROOT } from "../../harness/common/paths.js";
import { clusterConfigFile, clusterFiles, kindBinary, NODE_IMAGE } from "../../harness/platforms/kind/cluster.js";
import { rmSync } from "node:fs";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("kind-cluster", 1); // a kind cluster of its own

// A real kind cluster from the node image built without a registry (scripts/kind/build-node-image.sh,
// run by scripts/test.sh before the suite), with the reference service deployed in it.
// The kind scripts/tools.sh built, or one already on PATH (which it then leaves as it is).
const KIND = kindBinary();
const IMAGE = NODE_IMAGE;
const name = `gameday-test-${randomBytes(2).toString("hex")}`;
const node = `${name}-control-plane`;

const run = (cmd: string, args: string[], input?: string) =>
  execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", timeout: 240_000, stdio: ["pipe", "pipe", "pipe"], ...(input ? { input } : {}) });
const kubectl = (...args: string[]) => run("docker", ["exec", "-i", node, "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", ...args]);
const kubectlApply = (manifest: string) => run("docker", ["exec", "-i", node, "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "apply", "-f", "-"], manifest);

beforeAll(() => {
  // kind-config.yaml as the harness renders it: with the cluster's EncryptionConfiguration mounted.
  run(KIND, ["create", "cluster", "--name", name, "--image", IMAGE, "--config", clusterConfigFile(name), "--wait", "120s"]);
}, 300_000);

afterAll(() => {
  run(KIND, ["delete", "cluster", "--name", name]);
  for (const f of clusterFiles(name)) rmSync(f, { force: true, recursive: true });
}, 120_000);

describe("kind cluster from the locally built node image", () => {
  it("comes up Ready with every control-plane pod running", async () => {
    const components = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "coredns"];
    const phases = () => kubectl("get", "pods", "-n", "kube-system", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.phase}{'\\n'}{end}");
    // A DaemonSet may replace its pod while the cluster settles: poll until every component runs, not one snapshot.
    let pods = "";
    await waitFor(
      () => {
        pods = phases();
        return components.every((c) => new RegExp(`^${c}-\\S+=Running$`, "m").test(pods)) ? true : undefined;
      },
      { description: "every control-plane component to run", timeoutMs: 150_000, intervalMs: 1000 },
    ).catch(() => undefined);
    for (const component of components) expect(pods, component).toMatch(new RegExp(`^${component}-\\S+=Running$`, "m"));
    expect(kubectl("get", "node", node, "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].status}")).toBe("True");
    expect(kubectl("version", "-o", "json")).toContain('"gitVersion": "v1.34.4"');
  }, 180_000);

  it("runs the reference service loaded with kind load, with a liveness probe on /health", () => {
    run(KIND, ["load", "docker-image", "deploy-gameday/app:good-1", "--name", name]);
    const manifest = JSON.stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "app" },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "app" } },
        template: {
          metadata: { labels: { app: "app" } },
          spec: {
            containers: [
              {
                name: "api",
                image: "deploy-gameday/app:good-1",
                imagePullPolicy: "Never",
                ports: [{ containerPort: 8000 }],
                livenessProbe: { httpGet: { path: "/health", port: 8000 } },
              },
            ],
          },
        },
      },
    });
    kubectlApply(manifest);
    kubectl("rollout", "status", "deployment/app", "--timeout=120s");
    const health = kubectl("exec", "deploy/app", "--", "node", "-e", 'fetch("http://127.0.0.1:8000/health").then(r=>r.json()).then(b=>console.log(JSON.stringify(b)))');
    expect(JSON.parse(health)).toMatchObject({ status: "healthy", version: "good-1" });
  }, 180_000);
});
