import { randomBytes } from "node:crypto";
import { parse, stringify } from "yaml";
import { HarnessError } from "../../common/errors.js";

/**
 * Secrets encrypted at rest (the document's secrets-management.yml:
 * kubernetes-secrets, encryption at rest): the API server of every kind
 * cluster runs with an EncryptionConfiguration. kind-config.yaml holds the
 * kubeadm patch that points the API server at it; the file itself, with the
 * cluster's own key, lives in the cluster's state folder on this machine and
 * is mounted into the control-plane node when the cluster is created.
 */

/** Where the API server reads its EncryptionConfiguration, inside the control-plane node (kind-config.yaml's patch). */
export const ENCRYPTION_DIR_IN_NODE = "/etc/kubernetes/encryption";
export const ENCRYPTION_FILE = "config.yaml";

/** The provider Secrets are written with; etcd's value then starts with `k8s:enc:aescbc:v1:<key name>:`. */
export const ENCRYPTION_PROVIDER = "aescbc";

export interface EncryptionKey {
  readonly name: string;
  /** 32 random bytes, base64 (AES-256). */
  readonly secret: string;
}

export function newEncryptionKey(name: string): EncryptionKey {
  return { name, secret: randomBytes(32).toString("base64") };
}

/**
 * The EncryptionConfiguration: Secrets written with the first key, read with
 * any listed key or, for what was written before encryption was on, as plain
 * text (identity last, as the Kubernetes documentation has it).
 */
export function encryptionConfiguration(keys: readonly EncryptionKey[]): Record<string, unknown> {
  if (keys.length === 0) throw new HarnessError("INTERNAL", "an EncryptionConfiguration needs at least one key");
  return {
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "EncryptionConfiguration",
    resources: [{ resources: ["secrets"], providers: [{ [ENCRYPTION_PROVIDER]: { keys: keys.map((k) => ({ name: k.name, secret: k.secret })) } }, { identity: {} }] }],
  };
}

export function encryptionConfigurationYaml(keys: readonly EncryptionKey[]): string {
  return stringify(encryptionConfiguration(keys));
}

/** The aescbc keys of an EncryptionConfiguration, in its order (the first writes). */
export function encryptionKeysOf(yamlText: string): EncryptionKey[] {
  const doc = parse(yamlText) as { resources?: Array<{ providers?: Array<Record<string, { keys?: EncryptionKey[] }>> }> };
  const provider = doc?.resources?.[0]?.providers?.find((p) => ENCRYPTION_PROVIDER in p)?.[ENCRYPTION_PROVIDER];
  return (provider?.keys ?? []).map((k) => ({ name: k.name, secret: k.secret }));
}

/**
 * kind-config.yaml with the cluster's EncryptionConfiguration folder mounted
 * into every control-plane node, where kind-config.yaml's kubeadm patch
 * points the API server. The folder must be an absolute path on this machine.
 */
export function kindConfigWithEncryption(kindConfig: string, hostDir: string): string {
  const config = parse(kindConfig) as { nodes?: Array<{ role?: string; extraMounts?: unknown[] }> };
  const planes = (config.nodes ?? []).filter((n) => n.role === "control-plane");
  if (planes.length === 0) throw new HarnessError("SPEC_INVALID", "kind-config.yaml has no control-plane node to mount the EncryptionConfiguration into", { hint: "add a node with role: control-plane" });
  for (const n of planes) n.extraMounts = [...(n.extraMounts ?? []), { hostPath: hostDir, containerPath: ENCRYPTION_DIR_IN_NODE, readOnly: true }];
  return stringify(config);
}
