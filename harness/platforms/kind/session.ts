import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { startReaper, type Reaper } from "../../cleanup/reaper.js";
import { exec } from "../../common/exec.js";
import { ROOT } from "../../common/paths.js";
import type { Sink } from "../../timeline/events.js";
import { KEPT_CLUSTER, KindCluster, clusterFiles, clusterLabel } from "./cluster.js";

/**
 * The kind cluster of one harness invocation: created on first use, shared by
 * every scenario the invocation runs, deleted at the end unless kept.
 * With `keep`, the cluster is named gameday, reused when it is already running
 * and left running for the next invocation.
 */
export class KindSession {
  private cluster: Promise<KindCluster> | undefined;
  private reaper: Reaper | undefined;

  constructor(private readonly options: { keep: boolean; networkAgent?: boolean }) {}

  /** Whether the cluster runs its NetworkPolicy agent (default: yes); the security bench measures it off. */
  get networkAgent(): boolean {
    return this.options.networkAgent !== false;
  }

  async get(emit: Sink, signal: AbortSignal): Promise<KindCluster> {
    if (!this.cluster) {
      this.cluster = this.acquire(emit, signal);
      return this.cluster;
    }
    const cluster = await this.cluster;
    emit({ type: "cluster.ready", name: cluster.name, created: false, seconds: 0 });
    return cluster;
  }

  private async acquire(emit: Sink, signal: AbortSignal): Promise<KindCluster> {
    const log = (message: string) => emit({ type: "note", level: "info", message });
    const name = this.options.keep ? KEPT_CLUSTER : `${KEPT_CLUSTER}-${randomBytes(3).toString("hex")}`;
    // A cluster of this invocation's own goes with it, even if the harness dies: the watchdog starts before the cluster.
    if (!this.options.keep) this.reaper = startReaper(`cluster-${name}`, { what: `kind cluster ${name}`, containerLabels: [clusterLabel(name)], files: clusterFiles(name) });
    await ensureKindTools(log, signal);
    const started = Date.now();
    const cluster = await KindCluster.acquire({ name, keep: this.options.keep, log, signal });
    emit({ type: "cluster.ready", name, created: cluster.created, seconds: (Date.now() - started) / 1000 });
    return cluster;
  }

  /** Delete the cluster unless it is kept; safe to call when none was made. */
  async close(): Promise<void> {
    const cluster = await this.cluster?.catch(() => undefined);
    this.cluster = undefined;
    try {
      await cluster?.release();
    } finally {
      // When the cluster failed half-way, the watchdog removes what is left as this process ends.
      if (cluster || this.options.keep) this.reaper?.stop();
      this.reaper = undefined;
    }
  }
}

/** kind, kubectl (for kustomize) and the node image: built when missing, a quick check when cached. */
export async function ensureKindTools(log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const onOutput = (chunk: string) => chunk.split("\n").filter(Boolean).forEach((l) => log(l));
  const opts = { cwd: ROOT, onOutput, timeoutMs: 90 * 60_000, ...(signal ? { signal } : {}) };
  await exec("bash", [join(ROOT, "scripts/tools.sh"), "kind", "kubectl"], opts);
  await exec("bash", [join(ROOT, "scripts/kind/build-node-image.sh")], opts);
}
