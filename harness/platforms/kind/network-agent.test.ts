import { describe, expect, it } from "vitest";
import { NETWORK_AGENT, networkAgentObjects } from "./network-agent.js";

describe("kube-network-policies as the harness runs it", () => {
  it("is upstream's install.yaml: a privileged DaemonSet on the host network in kube-system, from the local image, without NRI", () => {
    const { account, role, binding, daemonSet } = networkAgentObjects("deploy-gameday/kube-network-policies:v0.8.0");
    expect(account.metadata).toMatchObject({ name: NETWORK_AGENT, namespace: "kube-system" });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: NETWORK_AGENT, namespace: "kube-system" }]);
    const pod = daemonSet.spec!.template.spec!;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.serviceAccountName).toBe(NETWORK_AGENT);
    const c = pod.containers[0]!;
    expect(c).toMatchObject({ image: "deploy-gameday/kube-network-policies:v0.8.0", imagePullPolicy: "Never", securityContext: { privileged: true } });
    expect(c.args).toEqual(expect.arrayContaining(["--disable-nri", "--hostname-override=$(MY_NODE_NAME)"]));
    expect(c.command).toEqual(["/bin/netpol"]);
  });

  it("rolls its pods when the image under the same tag is rebuilt", () => {
    expect(networkAgentObjects("x", "sha256:1").daemonSet.spec!.template.metadata!.annotations).toEqual({ "deploy-gameday.dev/image-id": "sha256:1" });
    expect(networkAgentObjects("x", "sha256:2").daemonSet.spec!.template).not.toEqual(networkAgentObjects("x", "sha256:1").daemonSet.spec!.template);
  });

  it("talks to the API server on the control-plane node, not through the kubernetes Service that waits for kube-proxy", () => {
    const env = networkAgentObjects("x", "", { host: "gameday-control-plane", port: 6443 }).daemonSet.spec!.template.spec!.containers[0]!.env!;
    expect(env).toEqual(expect.arrayContaining([{ name: "KUBERNETES_SERVICE_HOST", value: "gameday-control-plane" }, { name: "KUBERNETES_SERVICE_PORT", value: "6443" }]));
    expect(networkAgentObjects("x").daemonSet.spec!.template.spec!.containers[0]!.env!.map((e) => e.name)).toEqual(["MY_NODE_NAME"]);
  });

  it("reads pods, namespaces and NetworkPolicies, and writes nothing", () => {
    const verbs = networkAgentObjects("x").role.rules!.flatMap((r) => r.verbs);
    expect([...new Set(verbs)].sort()).toEqual(["list", "watch"]);
    expect(networkAgentObjects("x").role.rules!.flatMap((r) => r.resources).sort()).toEqual(["namespaces", "networkpolicies", "pods"]);
  });
});
