import type { KubeConfig } from "@kubernetes/client-node";
import { KIND_CLUSTER_LABEL } from "../../common/labels.js";
import { exec } from "../../common/exec.js";
import { docker } from "../../engine/docker.js";
import type { ImageDelivery } from "../kubernetes/cluster-handle.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../common/paths.js";

/** The kind CLI: one on PATH is used as it is; otherwise the one scripts/tools.sh built. */
export function kindBinary(): string {
  const built = join(ROOT, ".cache/tools/bin/kind");
  return existsSync(built) ? built : "kind";
}

/** `kind load docker-image` into cluster `name`, skipping what every node has already (a marker file per image in each node records its id). */
export async function loadIntoKind(name: string, nodes: readonly string[], refs: readonly string[], log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const wanted: string[] = [];
  for (const ref of new Set(refs)) {
    const id = (await docker().getImage(ref).inspect()).Id;
    if ((await loadedId(nodes, ref)) !== id) wanted.push(ref);
  }
  if (wanted.length === 0) return;
  log(`kind load docker-image ${wanted.join(" ")}`);
  const started = performance.now();
  await exec(kindBinary(), ["load", "docker-image", ...wanted, "--name", name], { timeoutMs: 300_000, ...(signal ? { signal } : {}) });
  log(`kind load: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const ref of wanted) {
    const id = (await docker().getImage(ref).inspect()).Id;
    for (const node of nodes) await exec("docker", ["exec", node, "sh", "-c", `mkdir -p /var/lib/gameday-images && printf %s "${id}" > "/var/lib/gameday-images/${marker(ref)}"`]);
  }
}

/** The image id loaded under `ref` into every node, or undefined when a node lacks it or has another. */
async function loadedId(nodes: readonly string[], ref: string): Promise<string | undefined> {
  const ids = new Set<string | undefined>();
  for (const node of nodes) ids.add(await exec("docker", ["exec", node, "cat", `/var/lib/gameday-images/${marker(ref)}`]).then((r) => r.stdout.trim(), () => undefined));
  return ids.size === 1 ? [...ids][0] : undefined;
}

/**
 * For a cluster the harness was pointed at (--platform kubernetes without
 * --registry): when its nodes are the containers of a kind cluster on this
 * machine's Docker, images are loaded into them with `kind load`, as kind's
 * own docs do; undefined for any other cluster.
 */
export async function kindLoadDelivery(kc: KubeConfig): Promise<ImageDelivery | undefined> {
  const { CoreV1Api } = await import("@kubernetes/client-node");
  const nodes = (await kc.makeApiClient(CoreV1Api).listNode()).items.map((n) => n.metadata!.name!);
  if (nodes.length === 0) return undefined;
  const containers = await docker()
    .listContainers({ all: true, filters: { label: [KIND_CLUSTER_LABEL] } })
    .catch(() => []);
  const clusters = new Set(nodes.map((n) => containers.find((c) => c.Names.includes(`/${n}`))?.Labels[KIND_CLUSTER_LABEL]));
  const [cluster] = [...clusters];
  if (clusters.size !== 1 || cluster === undefined) return undefined;
  return kindLoad(cluster, nodes);
}

/** Images loaded into the kind cluster's nodes, named by pods as they are. */
export function kindLoad(name: string, nodes: readonly string[]): ImageDelivery {
  return {
    deliver: async (refs, log, signal) => {
      await loadIntoKind(name, nodes, refs, log, signal);
      return new Map(refs.map((r) => [r, r]));
    },
  };
}

function marker(ref: string): string {
  return ref.replace(/[^A-Za-z0-9._-]/g, "_");
}
