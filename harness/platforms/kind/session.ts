import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { startReaper, type Reaper } from "../../cleanup/reaper.js";
import { exec } from "../../common/exec.js";
import { ROOT } from "../../common/paths.js";
import type { Sink } from "../../timeline/events.js";
import { KEPT_CLUSTER, KindCluster, clusterFiles, clusterLabel, keptClusterName } from "./cluster.js";

/** One cluster of the session: made on first use by a run that wants its shape. */
interface SessionCluster {
  name?: string;
  cluster?: Promise<KindCluster>;
  reaper?: Reaper;
}

/**
 * The kind clusters of one harness invocation: one per shape the scenarios ask
 * for (one node; a control plane and N workers), created on first use, shared
 * by every scenario of that shape, deleted at the end unless kept. With
 * `keep`, a cluster is named after its shape (gameday, gameday-w2), reused
 * when it is already running and left running for the next invocation.
 */
export class KindSession {
  private readonly clusters = new Map<number, SessionCluster>();

  constructor(private readonly options: { keep: boolean; networkAgent?: boolean }) {}

  /** Whether the cluster runs its NetworkPolicy agent (default: yes); the security bench measures it off. */
  get networkAgent(): boolean {
    return this.options.networkAgent !== false;
  }

  /** The names of the clusters the session has made or found so far. */
  names(): string[] {
    return [...this.clusters.values()].flatMap((c) => (c.name ? [c.name] : []));
  }

  /**
   * The session's cluster with `workers` worker nodes (0: one node). When
   * it is made here, the images `preload` names are loaded into its nodes
   * while kind creates it.
   */
  async get(emit: Sink, signal: AbortSignal, workers = 0, preload?: () => Promise<readonly string[]>): Promise<KindCluster> {
    const known = this.clusters.get(workers);
    if (!known) {
      const entry: SessionCluster = {};
      this.clusters.set(workers, entry);
      entry.cluster = this.acquire(entry, workers, emit, signal, preload);
      return entry.cluster;
    }
    const cluster = await known.cluster!;
    emit({ type: "cluster.ready", name: cluster.name, created: false, seconds: 0 });
    return cluster;
  }

  private async acquire(entry: SessionCluster, workers: number, emit: Sink, signal: AbortSignal, preload?: () => Promise<readonly string[]>): Promise<KindCluster> {
    const log = (message: string) => emit({ type: "note", level: "info", message });
    const name = this.options.keep ? keptClusterName(workers) : `${KEPT_CLUSTER}-${randomBytes(3).toString("hex")}`;
    entry.name = name;
    // A cluster of this invocation's own goes with it, even if the harness dies: the watchdog starts before the cluster.
    if (!this.options.keep) entry.reaper = startReaper(`cluster-${name}`, { what: `kind cluster ${name}`, containerLabels: [clusterLabel(name)], files: clusterFiles(name) });
    await ensureKindTools(log, signal);
    const started = Date.now();
    const cluster = await KindCluster.acquire({ name, keep: this.options.keep, workers, log, signal, ...(preload ? { preload } : {}) });
    emit({ type: "cluster.ready", name, created: cluster.created, seconds: (Date.now() - started) / 1000, nodes: cluster.nodes.length });
    return cluster;
  }

  /** Delete the clusters that are not kept; safe to call when none was made. */
  async close(): Promise<void> {
    const entries = [...this.clusters.values()];
    this.clusters.clear();
    const errors: unknown[] = [];
    for (const entry of entries) {
      const cluster = await entry.cluster?.catch(() => undefined);
      try {
        await cluster?.release();
      } catch (e) {
        errors.push(e);
      } finally {
        // When the cluster failed half-way, the watchdog removes what is left as this process ends.
        if (cluster || this.options.keep) entry.reaper?.stop();
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

/** kind, kubectl (for kustomize) and the node image: built when missing, a quick check when cached. */
export async function ensureKindTools(log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const onOutput = (chunk: string) => chunk.split("\n").filter(Boolean).forEach((l) => log(l));
  const opts = { cwd: ROOT, onOutput, timeoutMs: 90 * 60_000, ...(signal ? { signal } : {}) };
  await exec("bash", [join(ROOT, "scripts/tools.sh"), "kind", "kubectl"], opts);
  await exec("bash", [join(ROOT, "scripts/kind/build-node-image.sh")], opts);
}
