import { describe, expect, it } from "vitest";
import type { Component, ComponentSpec, Platform } from "../platforms/platform.js";
import { HAPROXY_PORTS } from "../traffic/haproxy-router.js";
import { startWhenAddressed } from "./strategy-run.js";

/** A platform that records the components started and their files; each is up at once. */
function componentPlatform() {
  const started: ComponentSpec[] = [];
  const platform = {
    name: "kind",
    componentName: (role: string, port: number) => `${role}.run-ns.svc:${port}`,
    startComponent: async (spec: ComponentSpec): Promise<Component> => {
      started.push(spec);
      return { name: spec.role, endpoint: (port) => ({ host: "127.0.0.1", port }), address: (port) => `10.96.0.9:${port}` };
    },
  } as unknown as Platform & { componentName(role: string, port: number): string };
  return { platform, started };
}

const stable = { role: "stable", instances: [{ address: "10.244.0.5:8000", metricsAddress: "10.244.0.5:9100" }] };
const candidate = { role: "candidate", instances: [{ address: "10.244.0.6:8000", metricsAddress: "10.244.0.6:9100" }] };

describe("startWhenAddressed: the router and Prometheus as soon as both roles' pods have addresses", () => {
  it("starts both once stable and candidate are addressed, Prometheus scraping every pod by IP and the router by its Service's name", async () => {
    const { platform, started } = componentPlatform();
    const start = startWhenAddressed(platform);
    start.onAddressed(stable);
    expect(started).toEqual([]);
    start.onAddressed(candidate);
    const infrastructure = await start.infrastructure;
    expect(infrastructure).toBeDefined();
    expect(started.map((s) => s.role).sort()).toEqual(["prometheus", "router"]);
    const config = started.find((s) => s.role === "prometheus")!.files[0]!.content;
    expect(config).toContain('"10.244.0.5:9100"');
    expect(config).toContain('"10.244.0.6:9100"');
    expect(config).toContain(`"router.run-ns.svc:${HAPROXY_PORTS.metrics}"`);
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
