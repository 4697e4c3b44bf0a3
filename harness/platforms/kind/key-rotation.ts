import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { RequestOptions } from "node:https";
import { join } from "node:path";
import type { CoreV1Api, KubeConfig, V1Secret } from "@kubernetes/client-node";
import { waitFor, type Clock } from "../../common/clock.js";
import { withDirLock } from "../../common/dir-lock.js";
import { HarnessError, errorMessage } from "../../common/errors.js";
import type { EncryptionAtRest, KeyRotation } from "../platform.js";
import { ENCRYPTION_FILE, ENCRYPTION_PROVIDER, encryptionConfigurationYaml, encryptionKeysOf, newEncryptionKey, type EncryptionKey } from "./encryption.js";
import { readEtcdPrefix } from "./etcd.js";
import { httpsText } from "./https-text.js";

/**
 * The encryption key rotated as the Kubernetes documentation has it, on a
 * running cluster (the API server reloads its EncryptionConfiguration by
 * itself: kind-config.yaml's automatic-reload flag):
 * 1. a new key first, the old ones after it (still read), and wait until the
 *    API server has loaded that file (its metric names the file's hash);
 * 2. every Secret of every namespace rewritten, so each is encrypted anew
 *    with the new key;
 * 3. the old keys removed from the file.
 * The API server polls the file once a minute, so step 1 waits up to a
 * minute and the removal is loaded up to a minute after it is written:
 * encryptionAtRest() waits for it before it reads etcd.
 */

/** Where every Secret lives in etcd. */
const SECRETS_PREFIX = "/registry/secrets/";
/** The API server polls its EncryptionConfiguration once a minute; a reload may also fail once and be retried. */
const RELOAD_TIMEOUT_MS = 150_000;
const RELOAD_FLAG = "--encryption-provider-config-automatic-reload=true";

export interface KeyRotationCluster {
  readonly name: string;
  readonly node: string;
  readonly network: string;
  readonly kubeConfig: KubeConfig;
  /** The cluster's EncryptionConfiguration folder on this machine (mounted into the control plane). */
  readonly encryptionDir: string;
}

/** The next key's name: key1, key2, ... after the highest number in use. */
export function nextKeyName(keys: readonly EncryptionKey[]): string {
  const numbers = keys.map((k) => /^key(\d+)$/.exec(k.name)?.[1]).filter((n): n is string => n !== undefined).map(Number);
  return `key${Math.max(0, ...numbers) + 1}`;
}

/** What encrypted a value in etcd: `aescbc/key2` from `k8s:enc:aescbc:v1:key2:...`, or `identity` for a value stored in the clear. */
export function storedWith(value: Buffer): string {
  const head = value.subarray(0, 80).toString("latin1");
  const m = /^k8s:enc:([a-z0-9]+):v\d+:([^:]+):/.exec(head);
  if (m) return `${m[1]}/${m[2]}`;
  return head.startsWith("k8s\0") || head.startsWith("{") ? "identity" : "unknown";
}

/** The hash the API server reports for a loaded EncryptionConfiguration (sha256 of the file's bytes). */
export function configHash(content: string | Buffer): string {
  return `sha256:${createHash("sha256").update(content).digest("hex")}`;
}

/** The API server's encryption-config metrics: the hash it has loaded last, and how many reloads failed. */
export function reloadState(metrics: string): { loaded?: string; failures: number } {
  const loaded = /^apiserver_encryption_config_controller_last_config_info\{[^}]*hash="(sha256:[0-9a-f]+)"[^}]*\}\s+1/m.exec(metrics)?.[1];
  const failures = [...metrics.matchAll(/^apiserver_encryption_config_controller_automatic_reloads_total\{[^}]*status="failure"[^}]*\}\s+(\d+(?:\.\d+)?)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  return { ...(loaded ? { loaded } : {}), failures };
}

function writeConfig(dir: string, keys: readonly EncryptionKey[]): string {
  const content = encryptionConfigurationYaml(keys);
  // Written beside and renamed over: the API server never reads half a file.
  const tmp = join(dir, `.${ENCRYPTION_FILE}.tmp`);
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, join(dir, ENCRYPTION_FILE));
  return configHash(content);
}

async function apiServerMetrics(kc: KubeConfig): Promise<string> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new HarnessError("CLUSTER_FAILED", "the kubeconfig has no current cluster");
  const tls: RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const server = new URL(cluster.server);
  return httpsText({ ...tls, hostname: server.hostname, port: server.port || 443, path: "/metrics", method: "GET" }, "the API server's /metrics");
}

/** Refuse a cluster whose API server does not reload its EncryptionConfiguration (made from an older kind-config.yaml). */
async function requireAutomaticReload(core: CoreV1Api, cluster: KeyRotationCluster): Promise<void> {
  const pod = await core.readNamespacedPod({ name: `kube-apiserver-${cluster.node}`, namespace: "kube-system" });
  const command = pod.spec?.containers?.[0]?.command ?? [];
  if (!command.includes(RELOAD_FLAG)) {
    throw new HarnessError("CLUSTER_FAILED", `the API server of kind cluster ${cluster.name} does not reload its EncryptionConfiguration (no ${RELOAD_FLAG}): the cluster was made from an older kind-config.yaml`, {
      hint: "npm run clean -- --clusters; the next run creates the cluster from kind-config.yaml",
    });
  }
}

/** Wait until the API server has loaded the configuration with this hash; the wall ms it took. */
async function waitLoaded(kc: KubeConfig, hash: string, clock: Clock, signal?: AbortSignal): Promise<number> {
  const started = clock.now();
  const before = reloadState(await apiServerMetrics(kc)).failures;
  await waitFor(
    async () => {
      const state = reloadState(await apiServerMetrics(kc));
      if (state.loaded === hash) return true;
      if (state.failures > before) {
        throw new HarnessError("CLUSTER_FAILED", `the API server could not load the new EncryptionConfiguration (its automatic_reloads_total{status="failure"} rose to ${state.failures})`, {
          hint: "docker exec <node> crictl logs <kube-apiserver container> says why",
        });
      }
      return undefined;
    },
    { timeoutMs: RELOAD_TIMEOUT_MS, intervalMs: 1000, clock, description: `the API server to load EncryptionConfiguration ${hash.slice(0, 19)}`, ...(signal ? { signal } : {}) },
  ).catch((e: unknown) => {
    if (e instanceof HarnessError && e.code === "CLUSTER_FAILED") throw e;
    throw new HarnessError("CLUSTER_FAILED", `the API server did not load the new EncryptionConfiguration within ${RELOAD_TIMEOUT_MS / 1000} s: ${errorMessage(e)}`, {
      hint: "it polls the file once a minute; docker exec <node> crictl logs <kube-apiserver container> says why it did not",
    });
  });
  return clock.now() - started;
}

/** Rewrite one Secret as it is, so the API server encrypts it again with the key that writes now; false when it is gone. */
async function rewrite(core: CoreV1Api, secret: V1Secret): Promise<boolean> {
  const name = secret.metadata!.name!;
  const namespace = secret.metadata!.namespace!;
  for (let attempt = 0; ; attempt++) {
    try {
      await core.replaceNamespacedSecret({ name, namespace, body: secret });
      return true;
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === 404) return false;
      // Changed meanwhile: read it again (a write since the reload was encrypted with the new key anyway).
      if (code === 409 && attempt < 5) {
        secret = await core.readNamespacedSecret({ name, namespace });
        continue;
      }
      throw new HarnessError("CLUSTER_FAILED", `could not rewrite Secret ${namespace}/${name} to encrypt it with the new key: ${errorMessage(e)}`, { cause: e });
    }
  }
}

/** Rotate the cluster's encryption key (new key first, every Secret rewritten, old keys removed). One rotation at a time per cluster. */
export async function rotateEncryptionKey(core: CoreV1Api, cluster: KeyRotationCluster, clock: Clock, signal?: AbortSignal): Promise<KeyRotation> {
  await requireAutomaticReload(core, cluster);
  return withDirLock(
    join(cluster.encryptionDir, ".rotation.lock"),
    async () => {
      const file = join(cluster.encryptionDir, ENCRYPTION_FILE);
      const old = encryptionKeysOf(readFileSync(file, "utf8"));
      if (old.length === 0) throw new HarnessError("CLUSTER_FAILED", `the EncryptionConfiguration of kind cluster ${cluster.name} has no ${ENCRYPTION_PROVIDER} key`, { hint: "npm run clean -- --clusters, then run again" });
      const key = newEncryptionKey(nextKeyName(old));
      const loadedAfterMs = await waitLoaded(cluster.kubeConfig, writeConfig(cluster.encryptionDir, [key, ...old]), clock, signal);
      const secrets = (await core.listSecretForAllNamespaces()).items;
      let rewritten = 0;
      for (const s of secrets) if (await rewrite(core, s)) rewritten++;
      writeConfig(cluster.encryptionDir, [key]);
      return { from: old.map((k) => k.name), to: key.name, loadedAfterMs, rewritten };
    },
    { clock, ...(signal ? { signal } : {}) },
  );
}

/**
 * Every Secret of the cluster as etcd stores it, by what encrypted it, once
 * the API server has loaded the EncryptionConfiguration on disk (a removal
 * of old keys is loaded up to a minute after it was written).
 */
export async function encryptionAtRest(cluster: KeyRotationCluster, clock: Clock, signal?: AbortSignal): Promise<EncryptionAtRest> {
  const content = readFileSync(join(cluster.encryptionDir, ENCRYPTION_FILE));
  const keys = encryptionKeysOf(content.toString("utf8")).map((k) => k.name);
  const hash = configHash(content);
  let loaded = true;
  let waitedMs = 0;
  try {
    waitedMs = await waitLoaded(cluster.kubeConfig, hash, clock, signal);
  } catch {
    loaded = false;
  }
  const stored: Record<string, number> = {};
  for (const entry of await readEtcdPrefix(cluster.node, cluster.network, SECRETS_PREFIX)) {
    const by = storedWith(entry.value);
    stored[by] = (stored[by] ?? 0) + 1;
  }
  return { keys, loaded, waitedMs, stored };
}
