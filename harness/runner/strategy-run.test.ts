import { describe, expect, it } from "vitest";
import type { Component, ComponentSpec, Platform } from "../platforms/platform.js";
import { HAPROXY_PORTS } from "../traffic/haproxy-router.js";
import { startWhenAddressed } from "./strategy-run.js";

/** A platform that records the components started and their files; each is up at once. */
function componentPlatform() {
  const started: ComponentSpec[] = [];
  const platform = {
    name: "kind",
    addressesBeforeReady: true,
    startComponent: async (spec: ComponentSpec): Promise<Component> => {
      started.push(spec);
      const address = (port: number) => `${spec.role === "router" ? "10.96.0.9" : "10.96.0.10"}:${port}`;
      spec.onAddressed?.(address);
      // Ready a moment later: Prometheus must not wait for that.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { name: spec.role, endpoint: (port) => ({ host: "127.0.0.1", port }), address };
    },
  } as unknown as Platform;
  return { platform, started };
}

const stable = { role: "stable", instances: [{ address: "10.244.0.5:8000", metricsAddress: "10.244.0.5:9100" }] };
const candidate = { role: "candidate", instances: [{ address: "10.244.0.6:8000", metricsAddress: "10.244.0.6:9100" }] };

describe("startWhenAddressed: the router and Prometheus as soon as both roles' pods have addresses", () => {
  it("starts both once stable and candidate are addressed, Prometheus as soon as the router has its address, scraping every pod by IP", async () => {
    const { platform, started } = componentPlatform();
    const start = startWhenAddressed(platform);
    start.onAddressed(stable);
    expect(started).toEqual([]);
    start.onAddressed(candidate);
    // Prometheus starts while the router is still rolling out.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(started.map((s) => s.role)).toEqual(["router", "prometheus"]);
    const infrastructure = await start.infrastructure;
    expect(infrastructure).toBeDefined();
    expect(started.map((s) => s.role).sort()).toEqual(["prometheus", "router"]);
    const config = started.find((s) => s.role === "prometheus")!.files[0]!.content;
    expect(config).toContain('"10.244.0.5:9100"');
    expect(config).toContain('"10.244.0.6:9100"');
    expect(config).toContain(`"10.96.0.9:${HAPROXY_PORTS.metrics}"`);
    const haproxy = started.find((s) => s.role === "router")!.files[0]!.content;
    expect(haproxy).toContain("10.244.0.5:8000");
    expect(haproxy).toContain("10.244.0.6:8000");
  });

  it("starts nothing, and resolves undefined, when provisioning ends before both roles were addressed", async () => {
    const { platform, started } = componentPlatform();
    const start = startWhenAddressed(platform);
    start.onAddressed(stable);
    start.until(Promise.reject(new Error("the candidate never rolled out")));
    expect(await start.infrastructure).toBeUndefined();
    // An address that comes after that changes nothing.
    start.onAddressed(candidate);
    await Promise.resolve();
    expect(started).toEqual([]);
  });
});
