import type { KubeConfig } from "@kubernetes/client-node";
import { KIND_CLUSTER_LABEL } from "../../common/labels.js";
import { exec } from "../../common/exec.js";
import { docker } from "../../engine/docker.js";
import type { ImageDelivery } from "../kubernetes/cluster-handle.js";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor, type Clock } from "../../common/clock.js";
import { ROOT } from "../../common/paths.js";
import { errorMessage } from "../../common/errors.js";

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
  await markLoaded(nodes, wanted);
}

/** Each node's record that `refs` are loaded, by image id, so that a later load skips them. */
async function markLoaded(nodes: readonly string[], refs: readonly string[]): Promise<void> {
  for (const ref of refs) {
    const id = (await docker().getImage(ref).inspect()).Id;
    for (const node of nodes) await exec("docker", ["exec", node, "sh", "-c", `mkdir -p /var/lib/gameday-images && printf %s "${id}" > "/var/lib/gameday-images/${marker(ref)}"`]);
  }
}

/**
 * Images put into the nodes of cluster `name` while `kind create` is still
 * setting it up (kubeadm init takes about 10 s of it): as soon as all
 * `expected` node containers run and their containerd answers, `docker save`
 * is imported into each one as `kind load docker-image` does (its
 * snapshotter, every platform, by digest), and marked as loadIntoKind marks
 * what it loads. Nothing here needs the API server, so a run's images are
 * on the nodes by the time the cluster answers.
 */
export async function preloadIntoNodes(o: { name: string; expected: number; refs: readonly string[]; clock: Clock; signal?: AbortSignal }): Promise<void> {
  if (o.refs.length === 0) return;
  const signal = o.signal ? { signal: o.signal } : {};
  const nodes = await waitFor(
    async () => {
      const running = (await docker().listContainers({ filters: { label: [`${KIND_CLUSTER_LABEL}=${o.name}`] } })).map((c) => c.Names[0]!.replace(/^\//, ""));
      if (running.length < o.expected) return undefined;
      for (const node of running) if (!(await exec("docker", ["exec", node, "ctr", "version"]).then(() => true, () => false))) return undefined;
      return running;
    },
    { description: `the ${o.expected} node(s) of kind cluster ${o.name} to run containerd`, timeoutMs: 120_000, intervalMs: 250, clock: o.clock, ...signal },
  );
  const dir = mkdtempSync(join(tmpdir(), "gameday-preload-"));
  try {
    const archive = join(dir, "images.tar");
    await exec("docker", ["save", "-o", archive, ...o.refs], { timeoutMs: 300_000, ...signal });
    // kind load's import: the snapshotter the CRI plugin is configured with (kind's entrypoint may change it).
    const importCmd = `ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter="$(containerd config dump | sed -n 's/^ *snapshotter = "\\(.*\\)"/\\1/p' | head -n 1)" -`;
    await Promise.all(nodes.map((node) => exec("sh", ["-c", 'docker exec -i "$1" sh -c "$2" < "$3"', "preload", node, importCmd, archive], { timeoutMs: 300_000, ...signal })));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await markLoaded(nodes, o.refs);
}

/**
 * preloadIntoNodes for a cluster kind is creating, at no risk to it: a
 * failure costs only time. It is noted, and the images go in by kind load
 * when the run delivers them, as on a reused cluster.
 */
export async function preloadWhileCreating(o: { name: string; expected: number; refs: () => Promise<readonly string[]>; log: (line: string) => void; clock: Clock; signal: AbortSignal }): Promise<void> {
  try {
    const refs = await o.refs();
    const started = performance.now();
    await preloadIntoNodes({ name: o.name, expected: o.expected, refs, clock: o.clock, signal: o.signal });
    if (refs.length > 0) o.log(`loaded ${refs.join(" ")} while the cluster was created: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    if (!o.signal.aborted) o.log(`loading images while the cluster was created failed (${errorMessage(e)}); they are loaded when the run needs them`);
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
