import { HarnessError, errorMessage } from "../../common/errors.js";
import { exec } from "../../common/exec.js";
import { docker } from "../../engine/docker.js";
import { httpsText } from "./https-text.js";

/** The API server's own client certificate for etcd, and etcd's CA, inside the control-plane node (kubeadm's layout). */
const PKI = { ca: "/etc/kubernetes/pki/etcd/ca.crt", cert: "/etc/kubernetes/pki/apiserver-etcd-client.crt", key: "/etc/kubernetes/pki/apiserver-etcd-client.key" } as const;

export interface EtcdEntry {
  readonly key: string;
  readonly value: Buffer;
}

/** The smallest key after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/**
 * Keys and values as etcd stores them, read straight from etcd (its v3 JSON
 * gateway, https on the node's address, with the API server's client
 * certificate), not through the API server: what someone with the disk or a
 * backup of etcd would see. `rangeEnd` reads every key from `key` up to it.
 */
async function rangeEtcd(node: string, network: string, key: string, rangeEnd?: Buffer): Promise<EtcdEntry[]> {
  const [ca, cert, clientKey] = await Promise.all([PKI.ca, PKI.cert, PKI.key].map((f) => exec("docker", ["exec", node, "cat", f], { timeoutMs: 10_000 }).then((r) => r.stdout)));
  const info = await docker().getContainer(node).inspect();
  const host = info.NetworkSettings.Networks[network]?.IPAddress;
  if (!host) throw new HarnessError("CLUSTER_FAILED", `kind node ${node} has no address on network ${network}`, { hint: "npm run clean -- --clusters, then run again" });
  const body = await httpsText(
    { host, port: 2379, path: "/v3/kv/range", method: "POST", ca: ca!, cert: cert!, key: clientKey!, servername: "localhost" },
    "etcd",
    JSON.stringify({ key: Buffer.from(key).toString("base64"), ...(rangeEnd ? { range_end: rangeEnd.toString("base64") } : {}) }),
  ).catch((e: unknown) => {
    throw new HarnessError("CLUSTER_FAILED", `could not read ${key}${rangeEnd ? "*" : ""} from etcd in ${node}: ${errorMessage(e)}`, { hint: `docker exec ${node} crictl ps shows whether etcd runs` });
  });
  const kvs = (JSON.parse(body) as { kvs?: Array<{ key?: string; value?: string }> }).kvs ?? [];
  return kvs.map((kv) => ({ key: Buffer.from(kv.key ?? "", "base64").toString("utf8"), value: Buffer.from(kv.value ?? "", "base64") }));
}

/** One value as etcd stores it; undefined when the key is absent. */
export async function readEtcd(node: string, network: string, key: string): Promise<Buffer | undefined> {
  return (await rangeEtcd(node, network, key))[0]?.value;
}

/** Every key under `prefix` (e.g. every Secret of every namespace: /registry/secrets/) with its stored value. */
export function readEtcdPrefix(node: string, network: string, prefix: string): Promise<EtcdEntry[]> {
  return rangeEtcd(node, network, prefix, prefixEnd(prefix));
}
