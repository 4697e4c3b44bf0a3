import type { KubeConfig } from "@kubernetes/client-node";
import { waitFor, type Clock } from "../../common/clock.js";
import { HarnessError } from "../../common/errors.js";
import type { PlatformContext } from "../platform.js";
import { KubectlPortForward } from "../kubernetes/kubectl-port-forward.js";
import type { KindCluster } from "./cluster.js";

/** host:port on this machine. */
export type LocalEndpoint = { host: string; port: number };

/**
 * How the harness on this machine reaches a component in the cluster (the
 * router, Prometheus): on a kind cluster of its own, NodePorts that
 * kind-config.yaml maps to 127.0.0.1; on a cluster it was pointed at, a
 * ClusterIP Service reached through `kubectl port-forward`.
 */
export class ComponentAccess {
  /** kind-config.yaml's mapped NodePorts not taken yet by this run. */
  private readonly freeNodePorts: number[];

  constructor(
    private readonly o: { kind: KindCluster | undefined; restricted: KubeConfig; ctx: Pick<PlatformContext, "runId" | "teardown" | "signal">; clock: Clock },
  ) {
    this.freeNodePorts = o.kind?.nodePorts ?? [];
  }

  /** The NodePort for each of the component's ports on a kind cluster (undefined elsewhere); a clear error when kind-config.yaml maps too few. */
  reserve(role: string, ports: readonly number[]): Map<number, number> | undefined {
    if (!this.o.kind) return undefined;
    if (this.freeNodePorts.length < ports.length) {
      throw new HarnessError("CLUSTER_FAILED", `the ${role} needs ${ports.length} NodePorts and only ${this.freeNodePorts.length} of kind-config.yaml's mapped ports are left`, {
        hint: "add extraPortMappings to kind-config.yaml and recreate the cluster (npm run clean -- --clusters)",
      });
    }
    return new Map(ports.map((p) => [p, this.freeNodePorts.shift()!]));
  }

  /**
   * Each port of the component on this machine, once the path there (kube-proxy
   * and kind's port mapping, or the port-forward) answers `ready` with 200.
   */
  async open(
    spec: { role: string; namespace: string; ports: readonly number[]; ready: { port: number; path: string } },
    nodePorts: ReadonlyMap<number, number> | undefined,
  ): Promise<(port: number) => LocalEndpoint> {
    const local = new Map<number, LocalEndpoint>();
    if (nodePorts) for (const [port, nodePort] of nodePorts) local.set(port, { host: "127.0.0.1", port: this.o.kind!.hostPort(nodePort) });
    else {
      // kubectl port-forward: one stream to the kubelet carries every connection, the load's too.
      const forward = await KubectlPortForward.start({ kubeConfig: this.o.restricted, namespace: spec.namespace, target: `service/${spec.role}`, ports: spec.ports, runId: this.o.ctx.runId });
      this.o.ctx.teardown.add(`stop kubectl port-forward to the ${spec.role}`, () => forward.stop());
      for (const port of spec.ports) local.set(port, forward.endpoint(port)!);
    }
    const endpoint = (port: number): LocalEndpoint => {
      const e = local.get(port);
      if (e === undefined) throw new HarnessError("CLUSTER_FAILED", `the ${spec.role} does not publish port ${port}`);
      return e;
    };
    const e = endpoint(spec.ready.port);
    await waitFor(async () => ((await fetch(`http://${e.host}:${e.port}${spec.ready.path}`, { signal: AbortSignal.timeout(2000) })).status === 200 ? true : undefined), {
      description: `the ${spec.role} to answer ${spec.ready.path} ${nodePorts ? "through its NodePort" : "through a port-forward"}`,
      timeoutMs: 30_000,
      intervalMs: 100,
      clock: this.o.clock,
      signal: this.o.ctx.signal,
    });
    return endpoint;
  }
}
