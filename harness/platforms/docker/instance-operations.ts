import type { StartedTestContainer } from "testcontainers";
import { waitFor } from "../../common/clock.js";
import { HarnessError } from "../../common/errors.js";
import { docker } from "../../engine/docker.js";
import type { InstanceFault, KilledInstance, PlatformContext, Stress } from "../platform.js";
import { crashLoopContainer } from "./crash-loop.js";
import type { DeployedRole } from "./deployed-role.js";
import { partitionContainer, stressContainer, type DockerInstance } from "./instance-faults.js";

/** What the operations need of the platform: its roles, its network, and a way to bring an instance back. */
export interface InstanceHost {
  readonly ctx: PlatformContext;
  role(name: string): DeployedRole;
  network(): Promise<string>;
  /** A successor for the instance at its role's version (same name, alias and host port), once ready. */
  restore(role: DeployedRole, index: number): Promise<void>;
  /** Resolves once the instance is ready, where readiness can come. */
  waitReady(role: DeployedRole, index: number): Promise<void>;
}

/** The faults on one instance of a Docker run (the platform's Operations for kill, partition, stress and crash loop). */
export class DockerInstanceOperations {
  constructor(private readonly host: InstanceHost) {}

  /**
   * SIGKILL to one instance's container. The run's containers have no restart
   * policy, so it stays down until the fault is undone; undoing starts it
   * again as a successor with the same name, network alias and host port (a
   * plain `docker start` publishes the port anew, on another host port, and
   * the log stream the harness follows ended with the old process).
   */
  async kill(roleName: string, index: number): Promise<KilledInstance> {
    const role = this.host.role(roleName);
    const container = this.container(role, index);
    const name = container.getName().replace(/^\//, "");
    const handle = docker().getContainer(container.getId());
    await handle.kill({ signal: "SIGKILL" });
    // The engine answers once the signal is sent: wait until it reports the container gone, so the fault is in place when the step observes.
    await waitFor(async () => ((await handle.inspect()).State.Running ? undefined : true), {
      description: `${name} to exit after SIGKILL`,
      timeoutMs: 10_000,
      intervalMs: 50,
      signal: this.host.ctx.signal,
    });
    return {
      detail: `container ${name} killed (SIGKILL); Docker does not restart it: undone by starting it again`,
      restore: async () => {
        // Replaced since (a rollout, a deleted instance): its successor is already running.
        if (role.containers[index] !== container) return;
        await this.host.restore(role, index);
      },
    };
  }

  private container(role: DeployedRole, index: number): StartedTestContainer {
    const container = role.containers[index];
    if (!container) {
      const n = role.containers.length;
      throw new HarnessError("SCENARIO_INVALID", `${role.spec.role} has no instance ${index}: it has ${n}${n > 0 ? ` (0 to ${n - 1})` : ""}`, {
        hint: "set the fault's instance: to one of them, or raise the role's replicas",
      });
    }
    return container;
  }

  /** One instance's current container, for the faults in instance-faults.ts. */
  private instance(roleName: string, index: number): { role: DeployedRole; instance: DockerInstance } {
    const role = this.host.role(roleName);
    const container = this.container(role, index);
    return { role, instance: { id: container.getId(), name: container.getName().replace(/^\//, ""), current: () => role.containers[index] === container } };
  }

  async partition(roleName: string, index: number, peer: string): Promise<InstanceFault> {
    const { instance } = this.instance(roleName, index);
    return partitionContainer({ runId: this.host.ctx.runId, network: await this.host.network(), instance, peer });
  }

  /** stress-ng in one instance's container; an instance the OOM killer took is brought back by undo, as after a kill. */
  stress(roleName: string, index: number, stress: Stress): Promise<InstanceFault> {
    const { role, instance } = this.instance(roleName, index);
    return stressContainer({
      instance,
      stress,
      restore: () => this.host.restore(role, index),
    });
  }

  /** Killed each time Docker's restart policy (set for the fault) brings it back; the instance follows the host port Docker publishes anew. */
  crashLoop(roleName: string, index: number): Promise<InstanceFault> {
    const { role, instance } = this.instance(roleName, index);
    return crashLoopContainer({
      instance,
      role: roleName,
      index,
      emit: this.host.ctx.emit,
      signal: this.host.ctx.signal,
      onHostPort: (port) => {
        const now = role.service.instances[index]!;
        const baseUrl = now.baseUrl.replace(/:\d+$/, `:${port}`);
        if (port > 0 && baseUrl !== now.baseUrl) role.service.instances[index] = { ...now, baseUrl };
        if (port > 0) role.hostPorts[index] = port;
      },
      ready: () => this.host.waitReady(role, index),
    });
  }
}
