import type Docker from "dockerode";
import { completed } from "../../common/command-stream.js";
import { HarnessError, errorMessage } from "../../common/errors.js";
import { docker } from "../../engine/docker.js";
import { partitionCommand } from "../partition-rules.js";
import { peerAddresses } from "../peer-addresses.js";
import type { InstanceFault, Stress } from "../platform.js";
import { startStress, stopCommand } from "../stress-process.js";
import { streamExec } from "../stream-exec.js";

/**
 * Faults on one container of a Docker run: a partition (iptables rules in its
 * network namespace, added by a privileged exec in the container: the app
 * image has iptables) and stress-ng exec'd in it (so in its cgroup).
 */

/** One instance's container as the platform has it now. */
export interface DockerInstance {
  readonly id: string;
  readonly name: string;
  /** Whether this container is still the instance (a rollout or a restart replaces it, and its netns and processes with it). */
  current(): boolean;
}

async function run(container: Docker.Container, command: string[], describe: string, options: { privileged?: boolean; user?: string } = {}): Promise<void> {
  await completed(streamExec(container, command, { describe, ...options }));
}

/** Drop everything between the instance and the peer's containers, both ways, until undone. */
export async function partitionContainer(o: { runId: string; network: string; instance: DockerInstance; peer: string }): Promise<InstanceFault> {
  const addresses = await peerAddresses(o.runId, o.network, o.peer, o.instance.id);
  if (addresses.length === 0) {
    throw new HarnessError("SCENARIO_INVALID", `no running container of the run has the role "${o.peer}" to partition ${o.instance.name} from`, {
      hint: 'name "database", a deployed role, or a part of the run such as "router"',
    });
  }
  const container = docker().getContainer(o.instance.id);
  const rules = (action: "add" | "remove") =>
    run(container, partitionCommand(action, o.peer, addresses), `iptables (${action} partition from ${o.peer}) in ${o.instance.name}`, { privileged: true, user: "root" });
  // A failure halfway leaves no rule behind.
  await rules("add").catch(async (e: unknown) => {
    await rules("remove").catch(() => undefined);
    throw e;
  });
  return {
    detail: `${o.instance.name} cut off from ${o.peer} (${addresses.join(", ")}): packets both ways dropped by iptables in its network namespace`,
    undo: async () => {
      // A container replaced since took its namespace, and the rules, with it.
      if (!o.instance.current()) return;
      await rules("remove");
    },
  };
}

/**
 * stress-ng in the instance's container. For memory, a container without a
 * limit (the run's containers have none) gets `limitBytes` first. When the
 * OOM killer has killed the service, the container is gone for good (no
 * restart policy): undo brings the instance back through `restore` (a
 * successor, as after a kill). Otherwise undo stops stress-ng, gives the
 * service its OOM score back and lifts a limit set here to the machine's
 * memory (Docker cannot take a memory limit away from a running container).
 */
export async function stressContainer(o: { instance: DockerInstance; stress: Stress; restore: () => Promise<void> }): Promise<InstanceFault> {
  const container = docker().getContainer(o.instance.id);
  let setLimit = false;
  if (o.stress.kind === "memory") {
    const info = await container.inspect();
    if (!info.HostConfig.Memory) {
      await container.update({ Memory: o.stress.limitBytes, MemorySwap: o.stress.limitBytes });
      setLimit = true;
    }
  }
  const liftLimit = async () => {
    const total = (await docker().info()) as { MemTotal: number };
    await container.update({ Memory: total.MemTotal, MemorySwap: total.MemTotal }).catch((e: unknown) => {
      throw new HarnessError("CONTAINER_FAILED", `could not lift the memory limit of ${o.instance.name}: ${errorMessage(e)}`, { cause: e });
    });
  };
  const started = await startStress((cmd) => streamExec(container, cmd, { describe: `stress-ng in ${o.instance.name}` }), o.stress, `container ${o.instance.name}`).catch(
    async (e: unknown) => {
      // Nothing is left of a fault that did not start.
      if (setLimit) await liftLimit().catch(() => undefined);
      throw e;
    },
  );
  const { report } = started;
  const what =
    o.stress.kind === "cpu"
      ? `${o.stress.workers} CPU worker(s) at ${o.stress.load}%`
      : `${mib(Math.floor(report.limitBytes! / 100) * o.stress.fill)} held (${o.stress.fill}% of the ${mib(report.limitBytes!)} memory limit${setLimit ? " set for the fault" : ""}); the service is the OOM killer's first choice`;
  let undone = false;
  return {
    detail: `stress-ng in container ${o.instance.name} (pid ${report.pid}): ${what}`,
    undo: async () => {
      if (undone || !o.instance.current()) return;
      const state = (await container.inspect()).State;
      if (!state.Running) {
        await o.restore();
        undone = true;
        return;
      }
      await run(container, stopCommand(report), `stopping stress-ng in ${o.instance.name}`);
      const ended = await Promise.race([started.ended, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000).unref())]);
      if (!ended) throw new HarnessError("CONTAINER_FAILED", `stress-ng (pid ${report.pid}) in ${o.instance.name} did not stop within 15 s of SIGTERM`);
      if (setLimit) await liftLimit();
      undone = true;
    },
  };
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}
