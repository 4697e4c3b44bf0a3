import type { KubeConfig } from "@kubernetes/client-node";
import { systemClock } from "../../common/clock.js";
import type { Sink } from "../../timeline/events.js";
import type { ImageDelivery } from "./cluster-handle.js";
import { ExternalCluster, type ExternalClusterOptions } from "./external-cluster.js";

/**
 * The cluster an invocation was pointed at (--platform kubernetes), reached
 * once and shared by its scenarios. Nothing to close: the harness made no
 * cluster, and each run removes its own namespaces.
 */
export class KubernetesSession {
  private cluster: Promise<ExternalCluster> | undefined;

  constructor(private readonly options: ExternalClusterOptions & { kindLoad: (kc: KubeConfig) => Promise<ImageDelivery | undefined> }) {}

  async get(emit: Sink, signal: AbortSignal): Promise<ExternalCluster> {
    const first = this.cluster === undefined;
    const started = Date.now();
    this.cluster ??= ExternalCluster.connect({ ...this.options, log: (message) => emit({ type: "note", level: "info", message }), clock: systemClock, signal });
    // A failed connection is not kept: the next run tries again.
    this.cluster.catch(() => (this.cluster = undefined));
    const cluster = await this.cluster;
    emit({ type: "cluster.ready", name: cluster.name, created: false, external: true, seconds: first ? (Date.now() - started) / 1000 : 0 });
    return cluster;
  }
}
