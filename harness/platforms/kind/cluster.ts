import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { SELF, type ProcessIdentity } from "../../common/process-identity.js";
import { systemClock, type Clock } from "../../common/clock.js";
import { HarnessError, errorMessage } from "../../common/errors.js";
import { exec } from "../../common/exec.js";
import { KIND_CLUSTER_LABEL } from "../../common/labels.js";
import { docker } from "../../engine/docker.js";
import { ROOT } from "../../common/paths.js";
import { K8S_LABEL } from "./manifests.js";
import { ENCRYPTION_FILE, encryptionConfigurationYaml, kindConfigWithEncryption, newEncryptionKey } from "./encryption.js";
import { removeContainersLabelled } from "../../cleanup/sweep.js";
import { parse, stringify } from "yaml";
import { setUpPodNetwork } from "./pod-network.js";
import type { ClusterHandle } from "../kubernetes/cluster-handle.js";
import { kindBinary, kindLoad, loadIntoKind, preloadWhileCreating } from "./image-load.js";
import { waitApiServer, waitNodesReady } from "./readiness.js";

export const NODE_IMAGE = "deploy-gameday/kind-node:v1.34.4";
/** The cluster `--keep-cluster` creates once and every later run reuses. */
export const KEPT_CLUSTER = "gameday";

/** The kept cluster of a shape: gameday for one node, gameday-w2 for a control plane and two workers. */
export function keptClusterName(workers: number): string {
  return workers === 0 ? KEPT_CLUSTER : `${KEPT_CLUSTER}-w${workers}`;
}

/** Whether a cluster of the harness's is a kept one (by name: gameday, gameday-w<N>). */
export function isKeptCluster(name: string): boolean {
  return name === KEPT_CLUSTER || /^gameday-w\d+$/.test(name);
}
const STATE_DIR = join(ROOT, ".cache/kind/clusters");
const TOOLS_HINT = "`bash scripts/tools.sh kind kubectl` builds kind and kubectl into .cache/tools/bin; `bash scripts/kind/build-node-image.sh` builds the node image";

/** Where a cluster's kubeconfig, owner record, kind configuration and EncryptionConfiguration live: never in ~/.kube/config. */
function statePaths(name: string): { kubeconfig: string; owner: string; config: string; encryption: string } {
  return { kubeconfig: join(STATE_DIR, `${name}.kubeconfig`), owner: join(STATE_DIR, `${name}.json`), config: join(STATE_DIR, `${name}.kind.yaml`), encryption: join(STATE_DIR, `${name}.encryption`) };
}

/**
 * The configuration to create cluster `name` with: kind-config.yaml with the
 * cluster's EncryptionConfiguration folder mounted into its control plane
 * (a new AES key for a new cluster; the folder is the cluster's, mode 0700,
 * removed with it). Returns the file to pass to `kind create cluster --config`.
 */
export function clusterConfigFile(name: string, workers = 0): string {
  const paths = statePaths(name);
  mkdirSync(paths.encryption, { recursive: true, mode: 0o700 });
  const file = join(paths.encryption, ENCRYPTION_FILE);
  if (!existsSync(file)) writeFileSync(file, encryptionConfigurationYaml([newEncryptionKey("key1")]), { mode: 0o600 });
  writeFileSync(paths.config, kindConfigWithWorkers(kindConfigWithEncryption(readFileSync(join(ROOT, "kind-config.yaml"), "utf8"), paths.encryption), workers));
  return paths.config;
}

export { kindBinary };

export interface ClusterOwner {
  pid: number;
  /** The owner with its start time (a reused pid is not the owner). */
  owner?: ProcessIdentity;
  kept: boolean;
  createdAt: string;
}

/** A running kind cluster the harness can reach: its API, its node container and the host ports of its NodePorts. */
export class KindCluster implements ClusterHandle {
  private constructor(
    readonly name: string,
    readonly kubeConfig: KubeConfig,
    /** The control-plane node's container name (the API server, etcd, the EncryptionConfiguration). */
    readonly node: string,
    /** Every node's container name, the control plane first; a node's container is named as the node. */
    readonly nodes: readonly string[],
    /** The Docker network the node is on: services outside the cluster (PostgreSQL) join it. */
    readonly network: string,
    /** The control-plane node's address on that network. */
    readonly controlPlaneAddress: string,
    private readonly ports: ReadonlyMap<number, number>,
    /** Whether this process created it (and so deletes it, unless kept). */
    readonly created: boolean,
    readonly kept: boolean,
  ) {}

  /** The cluster's EncryptionConfiguration folder on this machine, mounted into its control plane. */
  get encryptionDir(): string {
    return statePaths(this.name).encryption;
  }

  /** NodePorts that kind-config.yaml maps to 127.0.0.1, in order. */
  get nodePorts(): number[] {
    return [...this.ports.keys()].sort((a, b) => a - b);
  }

  /** The host port on 127.0.0.1 for a NodePort. */
  hostPort(nodePort: number): number {
    const port = this.ports.get(nodePort);
    if (port === undefined) {
      throw new HarnessError("CLUSTER_FAILED", `NodePort ${nodePort} is not mapped to the host in cluster ${this.name}`, {
        hint: `kind-config.yaml maps ${this.nodePorts.join(", ")}; add the port there and recreate the cluster (npm run clean -- --clusters)`,
      });
    }
    return port;
  }

  /**
   * Use the named cluster when it is running, or create it. A cluster created
   * here is recorded with its owner pid, so `npm run clean` and the reaper
   * know whose it is.
   */
  static async acquire(options: {
    name: string;
    keep: boolean;
    /** Worker nodes beside the control plane (0: one node that is both). */
    workers?: number;
    log: (line: string) => void;
    signal?: AbortSignal;
    clock?: Clock;
    /** Images (local refs) for a new cluster's nodes, loaded while kind creates it (image-load.ts preloadWhileCreating); a reused cluster gets them as every run does. */
    preload?: () => Promise<readonly string[]>;
  }): Promise<KindCluster> {
    const { name, keep, log } = options;
    const workers = options.workers ?? 0;
    const clock = options.clock ?? systemClock;
    mkdirSync(STATE_DIR, { recursive: true });
    const paths = statePaths(name);
    const existing = await nodeContainer(name);
    let created = false;
    if (existing && existing.State !== "running") {
      log(`kind cluster ${name} exists but its node is ${existing.State}: deleting it`);
      await deleteCluster(name);
    }
    if (!existing || existing.State !== "running") {
      await requireNodeImage();
      writeFileSync(paths.owner, JSON.stringify({ pid: process.pid, owner: SELF, kept: keep, createdAt: new Date().toISOString() } satisfies ClusterOwner));
      log(`creating kind cluster ${name} from ${NODE_IMAGE}${workers ? ` with ${workers} worker node(s) (about ${20 + 15 * workers} s)` : " (about 20 s)"}`);
      const started = Date.now();
      // A new cluster gets a new key: an old folder of the same name (a cluster deleted by hand) goes first.
      rmSync(paths.encryption, { recursive: true, force: true });
      // Stopped when kind create fails, or with the run.
      const createFailed = new AbortController();
      const preloadSignal = options.signal ? AbortSignal.any([options.signal, createFailed.signal]) : createFailed.signal;
      const preloaded = options.preload ? preloadWhileCreating({ name, expected: workers + 1, refs: options.preload, log, clock, signal: preloadSignal }) : Promise.resolve();
      await exec(kindBinary(), ["create", "cluster", "--name", name, "--image", NODE_IMAGE, "--config", clusterConfigFile(name, workers), "--kubeconfig", paths.kubeconfig, "--wait", "0s"], {
        timeoutMs: 300_000,
        ...(options.signal ? { signal: options.signal } : {}),
        hint: `kind's own output is above; ${TOOLS_HINT}`,
      }).catch(async (e: unknown) => {
        createFailed.abort(e);
        await deleteCluster(name).catch(() => undefined);
        throw new HarnessError("CLUSTER_FAILED", `kind could not create cluster ${name}: ${errorMessage(e)}`, {
          hint: `npm run doctor checks the engine and the node image; ${TOOLS_HINT}`,
          cause: e,
        });
      });
      log(`kind create cluster ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await preloaded;
      created = true;
    } else {
      log(`reusing kind cluster ${name}`);
      // A worker stopped by a node-down fault whose run was killed before it could undo it.
      for (const c of await nodeContainers(name)) {
        if (c.State !== "running") {
          log(`starting node ${c.Names[0]!.replace(/^\//, "")} of kind cluster ${name} again (it was ${c.State})`);
          await docker().getContainer(c.Id).start();
        }
      }
      const kubeconfig = await exec(kindBinary(), ["get", "kubeconfig", "--name", name]);
      writeFileSync(paths.kubeconfig, kubeconfig.stdout);
    }
    // Loaded when a cluster is used: the client takes about a second to import, which a Docker run need not pay.
    const { KubeConfig } = await import("@kubernetes/client-node");
    const kc = new KubeConfig();
    kc.loadFromFile(paths.kubeconfig);
    const container = await nodeContainer(name);
    if (!container) throw new HarnessError("CLUSTER_FAILED", `kind cluster ${name} has no node container`, { hint: "npm run clean -- --clusters, then run again" });
    const all = await nodeContainers(name);
    if (all.length !== workers + 1) {
      throw new HarnessError("CLUSTER_FAILED", `kind cluster ${name} has ${all.length} node(s), and this run wants ${workers + 1}`, {
        hint: "npm run clean -- --clusters removes the kept clusters; the next run makes the cluster it needs",
      });
    }
    const info = await docker().getContainer(container.Id).inspect();
    const ports = new Map<number, number>();
    for (const [key, bindings] of Object.entries(info.NetworkSettings.Ports ?? {})) {
      const nodePort = Number(key.split("/")[0]);
      const hostPort = Number(bindings?.[0]?.HostPort);
      if (nodePort >= 30000 && nodePort <= 32767 && hostPort > 0) ports.set(nodePort, hostPort);
    }
    const network = Object.keys(info.NetworkSettings.Networks)[0] ?? "kind";
    const nodes = all.map((c) => c.Names[0]!.replace(/^\//, "")).sort((a, b) => Number(b.endsWith("-control-plane")) - Number(a.endsWith("-control-plane")) || a.localeCompare(b));
    const address = info.NetworkSettings.Networks[network]?.IPAddress ?? "";
    const cluster = new KindCluster(name, kc, container.Names[0]!.replace(/^\//, ""), nodes, network, address, ports, created, keep);
    await cluster.waitReady(clock, options.signal);
    // With workers, the node image's single-node pod network is replaced (pod-network.ts); again on a reused cluster, whose nodes may have restarted.
    if (workers > 0) await setUpPodNetwork({ admin: kc, expected: workers + 1, first: created, clock, log, ...(options.signal ? { signal: options.signal } : {}) });
    return cluster;
  }

  /**
   * Ready for workloads: the API server answers. The node turning Ready is
   * not waited for here: every rollout waits for its pods, which covers it,
   * and images load and PostgreSQL start meanwhile. Nothing the harness runs
   * needs cluster DNS (components are addressed by ClusterIP).
   */
  private waitReady(clock: Clock, signal?: AbortSignal): Promise<void> {
    return waitApiServer(this.kubeConfig, `kind cluster ${this.name}`, `docker logs ${this.node} and \`docker exec ${this.node} journalctl -u kubelet\` show why`, { clock, ...(signal ? { signal } : {}) });
  }

  /** Every node Ready (kubelet registered, CNI configured): what the benches report beside cluster-ready. */
  waitNodeReady(clock: Clock = systemClock, signal?: AbortSignal): Promise<void> {
    return waitNodesReady(this.kubeConfig, `kind cluster ${this.name}`, this.nodes.length, { clock, ...(signal ? { signal } : {}) });
  }

  /**
   * Load images into the node with `kind load`, skipping those already there
   * (kind's own check needs crictl, which the node image leaves out).
   */
  loadImages(refs: readonly string[], log: (line: string) => void, signal?: AbortSignal): Promise<void> {
    return loadIntoKind(this.name, this.nodes, refs, log, signal);
  }

  /** The images loaded into every node: pods name them as they are (ClusterHandle). */
  deliver(refs: readonly string[], log: (line: string) => void, signal?: AbortSignal): Promise<ReadonlyMap<string, string>> {
    return kindLoad(this.name, this.nodes).deliver(refs, log, signal);
  }

  /** Delete the cluster if this process created it and was not asked to keep it. */
  async release(): Promise<boolean> {
    if (!this.created || this.kept) return false;
    await deleteCluster(this.name);
    return true;
  }
}

/** The control-plane node's container. */
async function nodeContainer(name: string) {
  const list = await nodeContainers(name);
  return list.find((c) => c.Labels[KIND_ROLE_LABEL] === "control-plane") ?? list[0];
}

async function nodeContainers(name: string) {
  return docker().listContainers({ all: true, filters: { label: [`${KIND_CLUSTER_LABEL}=${name}`] } });
}

/** The label kind gives each node container: its role (control-plane, worker). */
const KIND_ROLE_LABEL = "io.x-k8s.kind.role";

/** kind-config.yaml (as text) with `workers` worker nodes beside its control plane; unchanged for 0. */
export function kindConfigWithWorkers(kindConfig: string, workers: number): string {
  if (workers === 0) return kindConfig;
  const config = parse(kindConfig) as { nodes?: Array<{ role?: string }> };
  config.nodes = [...(config.nodes ?? []), ...Array.from({ length: workers }, () => ({ role: "worker" }))];
  return stringify(config);
}

async function requireNodeImage(): Promise<void> {
  try {
    await docker().getImage(NODE_IMAGE).inspect();
  } catch {
    throw new HarnessError("CLUSTER_FAILED", `the kind node image ${NODE_IMAGE} is not built`, { hint: TOOLS_HINT });
  }
}

/**
 * Delete a cluster by removing its node containers (what `kind delete cluster`
 * does for the Docker provider) and its state files. Works when the kind CLI
 * is gone and from the reaper, which has no time to spare.
 */
export async function deleteCluster(name: string): Promise<void> {
  await removeContainersLabelled(clusterLabel(name));
  for (const file of clusterFiles(name)) rmSync(file, { force: true, recursive: true });
}

/** The label every node container of the cluster carries. */
export function clusterLabel(name: string): string {
  return `${KIND_CLUSTER_LABEL}=${name}`;
}

/** The files the harness keeps for a cluster (kubeconfig, owner record, kind configuration, EncryptionConfiguration folder). */
export function clusterFiles(name: string): string[] {
  const paths = statePaths(name);
  return [paths.kubeconfig, paths.owner, paths.config, paths.encryption];
}


/** Every kind cluster the harness made (named gameday or gameday-*), with its owner record when there is one. */
export async function harnessClusters(): Promise<Array<{ name: string; owner: ClusterOwner | undefined }>> {
  const containers = await docker().listContainers({ all: true, filters: { label: [KIND_CLUSTER_LABEL] } });
  const names = new Set(containers.map((c) => c.Labels[KIND_CLUSTER_LABEL]!).filter((n) => n === KEPT_CLUSTER || n.startsWith(`${KEPT_CLUSTER}-`)));
  return [...names].sort().map((name) => ({ name, owner: readOwner(name) }));
}

function readOwner(name: string): ClusterOwner | undefined {
  try {
    return JSON.parse(readFileSync(statePaths(name).owner, "utf8")) as ClusterOwner;
  } catch {
    return undefined;
  }
}

/** State files whose cluster is gone. */
export function pruneClusterState(live: ReadonlySet<string>): void {
  if (!existsSync(STATE_DIR)) return;
  for (const f of readdirSync(STATE_DIR)) {
    const name = f.replace(/\.(kubeconfig|json|kind\.yaml|encryption)$/, "");
    if (!live.has(name)) rmSync(join(STATE_DIR, f), { force: true, recursive: true });
  }
}

/**
 * Namespaces of runs whose harness is gone, in a cluster that outlives its runs
 * (the kept one): a run killed before its teardown leaves its namespace.
 */
export async function pruneRunNamespaces(name: string, includeLive: boolean, isAlive: (owner: string | undefined) => boolean): Promise<string[]> {
  const paths = statePaths(name);
  const { KubeConfig, CoreV1Api } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  try {
    if (existsSync(paths.kubeconfig)) kc.loadFromFile(paths.kubeconfig);
    else kc.loadFromString((await exec(kindBinary(), ["get", "kubeconfig", "--name", name])).stdout);
  } catch {
    return [];
  }
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespace({ labelSelector: K8S_LABEL.runId });
  const gone = list.items.filter((ns) => includeLive || !isAlive(ns.metadata?.labels?.[K8S_LABEL.ownerPid]));
  for (const ns of gone) await core.deleteNamespace({ name: ns.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
  return gone.map((ns) => ns.metadata!.name!);
}
