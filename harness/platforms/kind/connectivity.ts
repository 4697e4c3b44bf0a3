import { randomBytes } from "node:crypto";
import type { KubernetesObject, V1Deployment, V1Pod } from "@kubernetes/client-node";
import { waitFor, type Clock } from "../../common/clock.js";
import { HarnessError } from "../../common/errors.js";
import { exec } from "../../common/exec.js";
import type { ConnectionCheck, ConnectionOutcome, ConnectionTest } from "../kubernetes-view.js";
import { APP_CONTAINER, K8S_LABEL, pullPolicy } from "./manifests.js";
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
          containers: [{ name: "probe", image: o.imageRef, imagePullPolicy: pullPolicy(o.imageRef), command: ["node", "-e", "setInterval(() => {}, 1 << 30)"] }],
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

/** Where a probe pod runs: the run's namespace, or one of the run's others (kind-platform.ts's side namespaces). */
export type ProbeNamespace = "run" | "monitoring" | "outside";
/** A container to connect from: its pod (namespace/name), the pod's address, its containerd id. */
interface Source {
  pod: string;
  ip: string;
  containerId: string;
  /** The node the pod runs on: its container's containerd runs the test. */
  node: string;
}

/**
 * network-policies.yml's evidence for a run on kind: a connection from a pod
 * of the run to a part of it, tried inside the source container
 * (connectFrom), so the cluster's policies judge it as they would the
 * service's own traffic. From a deployed role's own pod, or from a probe pod
 * (started once per namespace and part, from a deployed version's image); to
 * a role's first pod, a component's Service (router, Prometheus) or the
 * database the services use, on the port asked.
 */
export class ConnectionTests {
  private readonly probes = new Map<string, Promise<Source>>();

  constructor(
    private readonly o: {
      namespace: string;
      runId: string;
      clock: Clock;
      signal: AbortSignal;
      namespaceFor(where: ProbeNamespace): Promise<string>;
      apply(obj: KubernetesObject): Promise<void>;
      pods(role: string, namespace: string): Promise<V1Pod[]>;
      /** The deployed roles: their version and pods' addresses. */
      roles(): ReadonlyMap<string, { readonly version: string; readonly instances: ReadonlyArray<{ readonly address: string }> }>;
      /** The components' ClusterIPs by role. */
      components(): ReadonlyMap<string, string>;
      databaseHost(): string | undefined;
      /** A version's image reference (already in the node). */
      image(version: string): Promise<string>;
    },
  ) {}

  async test(check: ConnectionCheck): Promise<ConnectionTest> {
    const source = await this.source(check.from);
    const host = this.target(check.to);
    const r = await connectFrom(source.node, source.containerId, host, check.port);
    return { ...check, source: `${source.pod} (${source.ip})`, address: `${host}:${check.port}`, ...r };
  }

  private async source(from: string): Promise<Source> {
    if (this.o.roles().has(from)) {
      const pod = (await this.o.pods(from, this.o.namespace)).find((p) => p.status?.phase === "Running" && p.status.podIP);
      const id = pod?.status?.containerStatuses?.find((c) => c.name === APP_CONTAINER)?.containerID;
      if (!pod || !id) throw new HarnessError("CLUSTER_FAILED", `no running pod of ${from} to connect from`);
      return { pod: `${this.o.namespace}/${pod.metadata!.name}`, ip: pod.status!.podIP!, containerId: id, node: pod.spec!.nodeName! };
    }
    const m = /^(run|monitoring|outside)\/(pod|load-balancer)$/.exec(from);
    if (!m) throw new HarnessError("SCENARIO_INVALID", `cannot connect from "${from}": name a deployed role (${[...this.o.roles().keys()].join(", ")}) or <run|monitoring|outside>/<pod|load-balancer>`);
    let pending = this.probes.get(from);
    if (!pending) {
      pending = this.startProbe(m[1] as ProbeNamespace, m[2] as ProbeAs);
      this.probes.set(from, pending);
    }
    return pending;
  }

  /** A probe pod in a namespace of the run, from the image of a deployed version (already in the node), running. */
  private async startProbe(where: ProbeNamespace, as: ProbeAs): Promise<Source> {
    const namespace = await this.o.namespaceFor(where);
    const version = [...this.o.roles().values()][0]?.version;
    if (!version) throw new HarnessError("CLUSTER_FAILED", "no version of the reference service is deployed, so there is no image to start a probe pod from");
    const deployment = probeObjects({ namespace, runId: this.o.runId, as, imageRef: await this.o.image(version) });
    await this.o.apply(deployment);
    const role = deployment.metadata!.name!;
    return waitFor(
      async () => {
        const p = (await this.o.pods(role, namespace)).find((x) => x.spec?.nodeName && x.status?.podIP && x.status.containerStatuses?.[0]?.state?.running && x.status.containerStatuses[0].containerID);
        return p ? { pod: `${namespace}/${p.metadata!.name}`, ip: p.status!.podIP!, containerId: p.status!.containerStatuses![0]!.containerID!, node: p.spec!.nodeName! } : undefined;
      },
      { description: `probe pod ${role} in ${namespace} to run`, timeoutMs: 60_000, intervalMs: 200, clock: this.o.clock, signal: this.o.signal },
    );
  }

  /** The address of a part of the run to connect to. */
  private target(to: string): string {
    if (to === "database") {
      const host = this.o.databaseHost();
      if (!host) throw new HarnessError("SCENARIO_INVALID", "cannot connect to the database: the run has none");
      return host;
    }
    const role = this.o.roles().get(to);
    if (role) {
      const first = role.instances[0];
      if (!first) throw new HarnessError("CLUSTER_FAILED", `${to} has no running pod to connect to`);
      return first.address.split(":")[0]!;
    }
    const component = this.o.components().get(to);
    if (component) return component;
    const components = [...this.o.components().keys()].join(", ") || "none";
    throw new HarnessError("SCENARIO_INVALID", `cannot connect to "${to}": name a deployed role (${[...this.o.roles().keys()].join(", ")}), a started component (${components}) or database`);
  }
}
