import { describe, expect, it } from "vitest";
import { podNetworkConflist, podNetworkNodes, podNetworkScript } from "./pod-network.js";

const nodes = [
  { name: "c-control-plane", podCIDR: "10.244.0.0/24", address: "172.18.0.2" },
  { name: "c-worker", podCIDR: "10.244.1.0/24", address: "172.18.0.3" },
  { name: "c-worker2", podCIDR: "10.244.2.0/24", address: "172.18.0.4" },
];

describe("the pod network of a cluster with workers", () => {
  it("gives each node its own range and leaves masquerade to the node's rule", () => {
    const conf = JSON.parse(podNetworkConflist("10.244.1.0/24")) as { plugins: Array<{ type: string; ipMasq?: boolean; ipam?: { ranges: Array<Array<{ subnet: string }>> } }> };
    expect(conf.plugins[0]).toMatchObject({ type: "ptp", ipMasq: false });
    expect(conf.plugins[0]!.ipam!.ranges).toEqual([[{ subnet: "10.244.1.0/24" }]]);
    expect(conf.plugins.map((p) => p.type)).toEqual(["ptp", "portmap"]);
  });

  it("routes every other node's pods to that node and masquerades only what leaves the cluster's pod range", () => {
    const script = podNetworkScript(nodes[1]!, nodes);
    expect(script).toContain("ip route replace 10.244.0.0/24 via 172.18.0.2");
    expect(script).toContain("ip route replace 10.244.2.0/24 via 172.18.0.4");
    expect(script).not.toContain("10.244.1.0/24 via");
    expect(script).toMatch(/iptables -t nat -C POSTROUTING -s 10\.244\.1\.0\/24 ! -d 10\.244\.0\.0\/16 .* \|\| iptables -t nat -A POSTROUTING -s 10\.244\.1\.0\/24 ! -d 10\.244\.0\.0\/16 .*-j MASQUERADE$/m);
    expect(script).toContain('"subnet": "10.244.1.0/24"');
  });

  it("waits for every node's range and address before setting anything up", () => {
    const node = (name: string, podCIDR?: string, address?: string) => ({
      metadata: { name },
      spec: podCIDR ? { podCIDR } : {},
      status: { addresses: address ? [{ type: "InternalIP", address }, { type: "Hostname", address: name }] : [] },
    });
    expect(podNetworkNodes([node("a", "10.244.0.0/24", "172.18.0.2"), node("b", undefined, "172.18.0.3")])).toBeUndefined();
    expect(podNetworkNodes([node("a", "10.244.0.0/24", "172.18.0.2"), node("b", "10.244.1.0/24")])).toBeUndefined();
    expect(podNetworkNodes([node("a", "10.244.0.0/24", "172.18.0.2"), node("b", "10.244.1.0/24", "172.18.0.3")])).toEqual([
      { name: "a", podCIDR: "10.244.0.0/24", address: "172.18.0.2" },
      { name: "b", podCIDR: "10.244.1.0/24", address: "172.18.0.3" },
    ]);
  });
});
