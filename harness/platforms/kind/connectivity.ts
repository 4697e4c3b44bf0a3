import { randomBytes } from "node:crypto";
import type { V1Deployment } from "@kubernetes/client-node";
import { HarnessError } from "../../common/errors.js";
import { exec } from "../../common/exec.js";
import type { ConnectionOutcome } from "../kubernetes-view.js";
import { K8S_LABEL } from "./manifests.js";
import { COMPONENT_LABEL } from "./network-policy.js";

/** How long a connection attempt may take before it counts as dropped (wall): a SYN a policy drops is never answered. */
export const CONNECT_TIMEOUT_MS = 2000;

/**
 * A TCP connection attempt from inside a container, by Node.js (every app
 * image has it): prints one JSON line, {outcome, ms, detail}. "connected":
 * the three-way handshake completed; "refused": a RST came back (the packet
 * got through, nothing listens); "timeout": no answer at all (dropped).
 */
export const CONNECT_SCRIPT = [
  'const net = require("net");',
  "const [host, port, timeout] = process.argv.slice(1);",
  "const started = Date.now();",
  "const socket = net.connect({ host, port: Number(port) });",
  "const done = (outcome, detail) => { process.stdout.write(JSON.stringify({ outcome, ms: Date.now() - started, detail })); socket.destroy(); process.exit(0); };",
  "socket.setTimeout(Number(timeout), () => done(\"timeout\", `no answer in ${timeout} ms`));",
  'socket.on("connect", () => done("connected", ""));',
  'socket.on("error", (e) => done(e.code === "ECONNREFUSED" ? "refused" : "error", e.code || e.message));',
].join("\n");

/** A probe pod's part: a plain pod, or one labelled as the load balancer is (app.kubernetes.io/component: load-balancer). */
export type ProbeAs = "pod" | "load-balancer";

/**
 * A pod that only waits, to connect from (connectionFrom): the app image's
 * Node.js idling, no API token, in the namespace to test from, labelled as
 * the part it plays. A Deployment, so the harness's Role needs no pod verbs.
 */
export function probeObjects(o: { namespace: string; runId: string; as: ProbeAs; imageRef: string }): V1Deployment {
  const role = `probe-${o.as}`;
  const labels = { [K8S_LABEL.runId]: o.runId, [K8S_LABEL.role]: role };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: role, namespace: o.namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, ...(o.as === "load-balancer" ? { [COMPONENT_LABEL]: "load-balancer" } : {}) } },
        spec: {
          terminationGracePeriodSeconds: 0,
          automountServiceAccountToken: false,
          containers: [{ name: "probe", image: o.imageRef, imagePullPolicy: "Never", command: ["node", "-e", "setInterval(() => {}, 1 << 30)"] }],
        },
      },
    },
  };
}

/**
 * Connect from a running container (its containerd id, on the kind node) to
 * host:port, as `kubectl exec` would: `ctr task exec` runs the script in the
 * container's own namespaces, so the packets leave from its pod's address and
 * meet whatever policy the cluster enforces on it.
 */
export async function connectFrom(node: string, containerId: string, host: string, port: number, timeoutMs = CONNECT_TIMEOUT_MS): Promise<{ outcome: ConnectionOutcome; ms: number; detail: string }> {
  const id = containerId.replace(/^containerd:\/\//, "");
  const { stdout } = await exec(
    "docker",
    ["exec", node, "ctr", "--namespace", "k8s.io", "task", "exec", "--exec-id", `gameday-connect-${randomBytes(4).toString("hex")}`, id, "node", "-e", CONNECT_SCRIPT, host, String(port), String(timeoutMs)],
    { timeoutMs: timeoutMs + 15_000 },
  );
  try {
    const r = JSON.parse(stdout.trim()) as { outcome: ConnectionOutcome; ms: number; detail: string };
    return r;
  } catch {
    throw new HarnessError("CLUSTER_FAILED", `the connection test in container ${id.slice(0, 12)} printed no result: ${stdout.slice(0, 200)}`);
  }
}
