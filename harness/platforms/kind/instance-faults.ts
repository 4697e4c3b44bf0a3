import { randomBytes } from "node:crypto";
import { completed } from "../../common/command-stream.js";
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { HarnessError } from "../../common/errors.js";
import { docker } from "../../engine/docker.js";
import { partitionCommand } from "../partition-rules.js";
import { peerAddresses } from "../peer-addresses.js";
import type { InstanceFault, KilledInstance, Stress } from "../platform.js";
import { NO_MEMORY_LIMIT_HINT, startStress, stopCommand } from "../stress-process.js";
import { streamExec } from "../stream-exec.js";
import { startCrashLoop, type Incarnation } from "../crash-loop.js";
import { waitFor, type Clock } from "../../common/clock.js";
import type { Sink } from "../../timeline/events.js";
import { APP_CONTAINER, K8S_LABEL } from "./manifests.js";

export interface KindInstanceFaultsOptions {
  readonly core: CoreV1Api;
  readonly namespace: string;
  readonly runId: string;
  /** The cluster's Docker network, where PostgreSQL runs beside the node. */
  readonly network: string;
  readonly emit: Sink;
  readonly clock?: Clock;
  readonly signal: AbortSignal;
}

/** What restarts a pod's container on kind. */
const KUBELET = "the kubelet (restartPolicy Always)";

/** A pod's app container as the faults need it. */
interface PodContainer {
  readonly pod: string;
  readonly uid: string;
  /** containerd's id of the app container. */
  readonly id: string;
  /** The node the pod runs on, whose container's containerd (ctr), nsenter and iptables the faults go through. */
  readonly node: string;
  /** The app container's memory limit as its spec gives it, when it has one. */
  readonly memoryLimit?: string;
}

/**
 * Faults on one pod of a kind run, through the node as an operator with a
 * shell on it would do them: a partition is iptables rules in the pod's
 * network namespace (the sandbox's, entered with nsenter; it outlives
 * container restarts); stress-ng is exec'd in the app container through
 * containerd (`ctr task exec`, what `kubectl exec` ends up as), so it runs in
 * the container's cgroup under its CPU and memory limits.
 */
export class KindInstanceFaults {
  constructor(private readonly o: KindInstanceFaultsOptions) {}

  /** Drop everything between the pod and the peer (its pods and Service, or PostgreSQL), both ways, until undone. */
  async partition(role: string, index: number, peer: string): Promise<InstanceFault> {
    const target = await this.podContainer(role, index);
    const netns = await this.netnsOf(target);
    const addresses = await this.peerAddresses(peer, target.pod);
    if (addresses.length === 0) {
      throw new HarnessError("SCENARIO_INVALID", `nothing of the run has the role "${peer}" to partition pod ${target.pod} from`, {
        hint: 'name "database", a deployed role, or a part of the run such as "router"',
      });
    }
    const rules = (action: "add" | "remove") =>
      this.onNode(target.node, ["nsenter", `--net=${netns}`, ...partitionCommand(action, peer, addresses)], `iptables (${action} partition from ${peer}) in pod ${target.pod}'s network namespace`);
    // A failure halfway leaves no rule behind.
    await rules("add").catch(async (e: unknown) => {
      await rules("remove").catch(() => undefined);
      throw e;
    });
    return {
      detail: `pod ${target.pod} cut off from ${peer} (${addresses.join(", ")}): packets both ways dropped by iptables in its network namespace`,
      undo: async () => {
        // A pod deleted since took its namespace, and the rules, with it.
        if (!(await this.samePod(target))) return;
        await rules("remove");
      },
    };
  }

  /** stress-ng in the pod's app container; a container restarted since (the OOM killer's work) took it with it. */
  async stress(role: string, index: number, stress: Stress): Promise<InstanceFault> {
    const target = await this.podContainer(role, index);
    // Said from the pod's spec, before anything runs: the container's own check (stress-process.ts) speaks through
    // ctr's stderr, which a command that exits at once may lose.
    if (stress.kind === "memory" && target.memoryLimit === undefined) {
      throw new HarnessError("COMMAND_FAILED", `stress-ng did not start in pod ${target.pod}'s ${APP_CONTAINER} container: the container has no memory limit`, { hint: NO_MEMORY_LIMIT_HINT });
    }
    const exec = (command: string[], describe: string) =>
      streamExec(docker().getContainer(target.node), ["ctr", "--namespace", "k8s.io", "task", "exec", "--exec-id", `gameday-${randomBytes(4).toString("hex")}`, target.id, ...command], {
        describe,
      });
    const started = await startStress((cmd) => exec(cmd, `stress-ng in pod ${target.pod}`), stress, `pod ${target.pod}'s ${APP_CONTAINER} container`);
    const { report } = started;
    const what =
      stress.kind === "cpu"
        ? `${stress.workers} CPU worker(s) at ${stress.load}%`
        : `${mib(Math.floor(report.limitBytes! / 100) * stress.fill)} held (${stress.fill}% of the container's ${mib(report.limitBytes!)} memory limit); the service is the OOM killer's first choice`;
    let undone = false;
    return {
      detail: `stress-ng in the ${APP_CONTAINER} container of pod ${target.pod} (pid ${report.pid}): ${what}`,
      undo: async () => {
        if (undone) return;
        const now = await this.currentContainer(target);
        if (now === target.id) {
          await completed(exec(stopCommand(report), `stopping stress-ng in pod ${target.pod}`));
          const ended = await Promise.race([started.ended, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000).unref())]);
          if (!ended) throw new HarnessError("CONTAINER_FAILED", `stress-ng (pid ${report.pid}) in pod ${target.pod} did not stop within 15 s of SIGTERM`);
        }
        undone = true;
      },
    };
  }

  /**
   * SIGKILL to the app container of one pod, through the node's containerd:
   * what the kernel does to a process, which `kubectl exec ... kill -9 1`
   * cannot do (inside its PID namespace the container's PID 1 ignores
   * SIGKILL). The kubelet restarts the container (restartPolicy Always), so
   * there is nothing to undo. Done when the API server shows the container
   * gone or restarted, so the kill is on the record and not assumed; the
   * kubelet's restart goes on the timeline when it comes (at once, unless
   * the pod was already backing off).
   */
  async kill(role: string, index: number): Promise<KilledInstance> {
    const target = await this.podContainer(role, index);
    const before = await this.appStatus(target);
    if (!before?.running) throw new HarnessError("CONTAINER_FAILED", `the ${APP_CONTAINER} container of pod ${target.pod} is not running: nothing to kill`);
    await this.killContainer(target, before.running);
    const wait = { intervalMs: 250, clock: this.o.clock, signal: this.o.signal };
    await waitFor(
      async () => {
        const now = await this.appStatus(target);
        return !now || now.restarts > before.restarts || now.running !== before.running ? true : undefined;
      },
      { description: `the API server to show the ${APP_CONTAINER} container of pod ${target.pod} killed`, timeoutMs: 30_000, ...wait },
    );
    const restarted = await waitFor(async () => {
      const now = await this.appStatus(target);
      return now && now.restarts > before.restarts ? now.restarts : undefined;
    }, { description: `the kubelet to restart the ${APP_CONTAINER} container of pod ${target.pod}`, timeoutMs: 20_000, ...wait }).catch(() => undefined);
    if (restarted !== undefined) this.o.emit({ type: "instance.restarted", role, instance: index, name: target.pod, restarts: restarted, by: KUBELET });
    return {
      detail: `container ${APP_CONTAINER} of pod ${target.pod} killed (SIGKILL); ${restarted !== undefined ? "the kubelet restarted it" : "the kubelet restarts it after its back-off"} (restartPolicy Always): nothing to undo`,
      restore: async () => undefined,
    };
  }

  /**
   * A crash loop on one pod: its app container is killed (SIGKILL through
   * containerd, as in the kill fault) each time the kubelet starts it again,
   * until undone. The kubelet backs off (10 s, doubling up to 5 min) and
   * shows the pod waiting in CrashLoopBackOff. Undo stops the killing; the
   * kubelet starts the container after its current back-off, by itself.
   */
  async crashLoop(role: string, index: number): Promise<InstanceFault> {
    const target = await this.podContainer(role, index);
    const status = () => this.appStatus(target);
    const kill = (id: string) => this.killContainer(target, id);
    const restart = (restarts: number, waiting?: string) =>
      this.o.emit({ type: "instance.restarted", role, instance: index, name: target.pod, restarts, by: KUBELET, ...(waiting ? { waiting } : {}) });
    // The first kill is made here, so a fault that cannot be put in place fails the step.
    const first = await status();
    if (!first?.running) throw new HarnessError("CONTAINER_FAILED", `the ${APP_CONTAINER} container of pod ${target.pod} is not running: nothing to crash`);
    await kill(first.running);
    const loop = startCrashLoop({
      first: { killed: first.running, restarts: first.restarts },
      observe: status,
      kill,
      onRestart: restart,
      onError: (message) => this.o.emit({ type: "note", level: "warn", message: `crash loop on pod ${target.pod}: ${message}` }),
      clock: this.o.clock,
      intervalMs: 250,
    });
    let undone: string | undefined;
    return {
      detail: `the ${APP_CONTAINER} container of pod ${target.pod} killed (SIGKILL) each time ${KUBELET} starts it again, the kubelet backing off between restarts (CrashLoopBackOff)`,
      undo: async () => {
        if (undone !== undefined) return undone;
        const summary = await loop.stop();
        return (undone = `killed ${summary.kills} time(s), restarted by the kubelet ${summary.restarts} time(s) while the loop ran${summary.waiting ? ` (seen waiting: ${summary.waiting})` : ""}; the kubelet starts it again after its back-off`);
      },
    };
  }

  /** The pod's app container as the API server shows it (undefined once the pod is gone or replaced). */
  private async appStatus(target: PodContainer): Promise<Incarnation | undefined> {
    const pod = await this.o.core.readNamespacedPod({ name: target.pod, namespace: this.o.namespace }).catch(() => undefined);
    if (pod?.metadata?.uid !== target.uid) return undefined;
    const c = pod.status?.containerStatuses?.find((s) => s.name === APP_CONTAINER);
    if (!c) return undefined;
    return { running: c.state?.running ? c.containerID?.replace(/^containerd:\/\//, "") : undefined, restarts: c.restartCount, ...(c.state?.waiting?.reason ? { waiting: c.state.waiting.reason } : {}) };
  }

  /** SIGKILL to a container through the node's containerd. */
  private async killContainer(target: PodContainer, id: string): Promise<void> {
    await completed(
      streamExec(docker().getContainer(target.node), ["ctr", "--namespace", "k8s.io", "task", "kill", "--signal", "SIGKILL", id], {
        describe: `ctr task kill of pod ${target.pod}'s ${APP_CONTAINER} container in node ${target.node}`,
      }),
    );
  }

  private async onNode(node: string, command: string[], describe: string): Promise<string> {
    const stream = streamExec(docker().getContainer(node), command, { describe });
    let out = "";
    stream.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await stream.done;
    return out;
  }

  /** The running pods of the role in name order (as its instances are), and the app container of the one at `index`. */
  private async podContainer(role: string, index: number): Promise<PodContainer> {
    const list = await this.o.core.listNamespacedPod({ namespace: this.o.namespace, labelSelector: `${K8S_LABEL.role}=${role}` });
    const pods = list.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === "Running").sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
    const pod = pods[index];
    if (!pod) {
      throw new HarnessError("SCENARIO_INVALID", `${role} has no running pod ${index}: it has ${pods.length}${pods.length > 0 ? ` (0 to ${pods.length - 1})` : ""}`, {
        hint: "set the fault's instance: to one of them, or raise the role's replicas",
      });
    }
    const id = appContainerId(pod);
    if (!id) throw new HarnessError("CONTAINER_FAILED", `the ${APP_CONTAINER} container of pod ${pod.metadata!.name} is not running`);
    const limit = pod.spec?.containers.find((c) => c.name === APP_CONTAINER)?.resources?.limits?.memory;
    const node = pod.spec?.nodeName;
    if (!node) throw new HarnessError("CONTAINER_FAILED", `pod ${pod.metadata!.name} is on no node`);
    return { pod: pod.metadata!.name!, uid: pod.metadata!.uid!, id, node, ...(limit !== undefined ? { memoryLimit: String(limit) } : {}) };
  }

  /** The app container's id now: undefined when the pod is gone. */
  private async currentContainer(target: PodContainer): Promise<string | undefined> {
    const pod = await this.o.core.readNamespacedPod({ name: target.pod, namespace: this.o.namespace }).catch(() => undefined);
    return pod?.metadata?.uid === target.uid ? appContainerId(pod) : undefined;
  }

  private async samePod(target: PodContainer): Promise<boolean> {
    const pod = await this.o.core.readNamespacedPod({ name: target.pod, namespace: this.o.namespace }).catch(() => undefined);
    return pod?.metadata?.uid === target.uid && !pod.metadata?.deletionTimestamp;
  }

  /** The pod's network namespace, as containerd has it in the app container's spec: the sandbox's (/proc/<pid>/ns/net). */
  private async netnsOf(target: PodContainer): Promise<string> {
    const info = JSON.parse(await this.onNode(target.node, ["ctr", "--namespace", "k8s.io", "containers", "info", target.id], `ctr containers info of pod ${target.pod}`)) as {
      Spec?: { linux?: { namespaces?: Array<{ type: string; path?: string }> } };
    };
    const path = info.Spec?.linux?.namespaces?.find((n) => n.type === "network")?.path;
    if (!path || !/^\/[\w/.-]+$/.test(path)) throw new HarnessError("CLUSTER_FAILED", `containerd does not say which network namespace pod ${target.pod} has`);
    return path;
  }

  /** "database": PostgreSQL's container (and its fault proxy's) on the cluster's network; else the pods (but this one) and Service addresses of the role. */
  private async peerAddresses(peer: string, self: string): Promise<string[]> {
    if (peer === "database" || peer === "database-proxy") return peerAddresses(this.o.runId, this.o.network, peer);
    const selector = `${K8S_LABEL.role}=${peer}`;
    const pods = await this.o.core.listNamespacedPod({ namespace: this.o.namespace, labelSelector: selector });
    const services = await this.o.core.listNamespacedService({ namespace: this.o.namespace, labelSelector: selector });
    const podIps = pods.items.filter((p) => p.metadata?.name !== self && !p.metadata?.deletionTimestamp).map((p) => p.status?.podIP);
    const clusterIps = services.items.map((s) => s.spec?.clusterIP).filter((ip) => ip !== "None");
    return [...new Set([...podIps, ...clusterIps].filter((ip): ip is string => !!ip))];
  }
}

function appContainerId(pod: V1Pod): string | undefined {
  const status = pod.status?.containerStatuses?.find((c) => c.name === APP_CONTAINER);
  return status?.state?.running ? status.containerID?.replace(/^containerd:\/\//, "") : undefined;
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}
