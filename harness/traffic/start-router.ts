import type { AddressedRole, Platform } from "../platforms/platform.js";
import { HAPROXY_PORTS, HaproxyRouter, haproxyConfig, type Backend } from "./haproxy-router.js";
import type { Shares } from "./weights.js";

/**
 * Start HAProxy in front of every instance of the given services, with the
 * initial traffic shares. `wholeRoles`: in front of each role as a whole where
 * the platform has an address for it (a Kubernetes Service, whose rollouts
 * keep it serving), so the router follows the role's instances as they change.
 */
export async function startRouter(
  platform: Platform,
  services: readonly AddressedRole[],
  initial: Shares,
  options: { wholeRoles?: boolean; onAddressed?: (address: (port: number) => string) => void } = {},
): Promise<HaproxyRouter> {
  const backends: Backend[] = services.flatMap((s) =>
    options.wholeRoles && s.address ? [{ server: s.role, role: s.role, address: s.address }] : s.instances.map((i, n) => ({ server: `${s.role}-${n}`, role: s.role, address: i.address })),
  );
  const component = await platform.startComponent({
    role: "router",
    image: "haproxy",
    part: "load-balancer",
    files: [{ path: "/usr/local/etc/haproxy/haproxy.cfg", content: haproxyConfig(backends, initial, platform.dnsResolver ? { resolver: platform.dnsResolver } : {}) }],
    ports: [HAPROXY_PORTS.traffic, HAPROXY_PORTS.runtime, HAPROXY_PORTS.metrics],
    ready: { port: HAPROXY_PORTS.metrics, path: "/healthz" },
    ...(options.onAddressed ? { onAddressed: options.onAddressed } : {}),
  });
  const traffic = component.endpoint(HAPROXY_PORTS.traffic);
  return new HaproxyRouter(`http://${traffic.host}:${traffic.port}`, component.endpoint(HAPROXY_PORTS.runtime), backends, component.address(HAPROXY_PORTS.metrics));
}
