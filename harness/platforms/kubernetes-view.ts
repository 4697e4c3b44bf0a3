import type { PodsObservation } from "../model/kubernetes.js";

/**
 * What a platform with a Kubernetes API lets the harness see and do beyond
 * its operations (kind): pods and endpoints, Secrets as etcd stores them,
 * the encryption key's rotation, and the API server's answer to access
 * questions. The checker's collectors read it at the end of a run.
 */
export interface KubernetesView {
  /** Pods and ready Service endpoints of every deployed role, now. */
  observe(): Promise<PodsObservation[]>;
  /** A Secret of the run's namespace as etcd stores it, and its values as the API server gives them (to look for in the stored bytes). */
  secretAtRest(name: string): Promise<SecretAtRest>;
  /** Rotate the cluster's encryption key: a new key writes, every Secret is rewritten with it, the old keys are removed. */
  rotateEncryptionKey(): Promise<KeyRotation>;
  /** Every Secret of the cluster as etcd stores it, by what encrypted it, once the API server runs the EncryptionConfiguration on disk. */
  encryptionAtRest(): Promise<EncryptionAtRest>;
  /** Whether the service's or the harness's ServiceAccount may do something, as the API server answers a SubjectAccessReview. */
  reviewAccess(check: AccessCheck): Promise<AccessReview>;
  /** A TCP connection tried from a pod of the run to a part of it, as the cluster's network (and its NetworkPolicies) let it through. */
  testConnection(check: ConnectionCheck): Promise<ConnectionTest>;
}

/**
 * A connection to try (network-policies.yml): from a deployed role's pod
 * ("stable"), or from a probe pod in a namespace of the run
 * ("monitoring/pod", "run/load-balancer", "outside/pod"), to a part of the
 * run (a role, "router", "prometheus", "database") on a port.
 */
export interface ConnectionCheck {
  readonly from: string;
  readonly to: string;
  readonly port: number;
}

/** "connected": the handshake completed; "refused": a reset came back; "timeout": no answer (dropped); "error": anything else. */
export type ConnectionOutcome = "connected" | "refused" | "timeout" | "error";

export interface ConnectionTest extends ConnectionCheck {
  /** The pod it was tried from, namespace/name, and its address. */
  readonly source: string;
  /** The address:port it was tried to. */
  readonly address: string;
  readonly outcome: ConnectionOutcome;
  readonly ms: number;
  readonly detail: string;
}

/** Something a ServiceAccount of the run might do: `get secrets` in the run's namespace, `list pods` in kube-system. */
export interface AccessCheck {
  /** The reference service's ServiceAccount, or the one the harness acts as in the run's namespace. */
  readonly as: "service" | "harness";
  readonly verb: string;
  /** A resource, with its subresource after a slash ("pods/log"). */
  readonly resource: string;
  /** Its API group ("" or absent: the core group). */
  readonly group?: string;
  /** A namespace; absent: the run's. */
  readonly namespace?: string;
}

export interface AccessReview extends AccessCheck {
  /** The user the API server was asked about (system:serviceaccount:<namespace>:<name>). */
  readonly user: string;
  readonly namespace: string;
  readonly allowed: boolean;
  /** The authorizer's reason, when it gave one. */
  readonly reason: string;
}

export interface KeyRotation {
  /** The keys before, the first of which wrote. */
  readonly from: readonly string[];
  /** The new key, the only one left. */
  readonly to: string;
  /** Wall ms until the API server had loaded the new key (it polls its configuration once a minute). */
  readonly loadedAfterMs: number;
  /** Secrets rewritten with the new key, in every namespace. */
  readonly rewritten: number;
}

export interface EncryptionAtRest {
  /** The keys of the EncryptionConfiguration on disk, the first of which writes. */
  readonly keys: readonly string[];
  /** Whether the API server had loaded that configuration (waited for up to its reload period and more). */
  readonly loaded: boolean;
  readonly waitedMs: number;
  /** Every Secret in etcd counted by what encrypted it ("aescbc/key2"), "identity" for plain text. */
  readonly stored: Readonly<Record<string, number>>;
}

export interface SecretAtRest {
  readonly key: string;
  /** The bytes in etcd; undefined when etcd has no such key. */
  readonly stored: Buffer | undefined;
  /** The Secret's data values, decoded. */
  readonly values: readonly string[];
}
