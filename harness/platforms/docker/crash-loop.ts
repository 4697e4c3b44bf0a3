import { readFile } from "node:fs/promises";
import { waitFor, type Clock } from "../../common/clock.js";
import { HarnessError, errorMessage } from "../../common/errors.js";
import { docker } from "../../engine/docker.js";
import type { Sink } from "../../timeline/events.js";
import { startCrashLoop } from "../crash-loop.js";
import type { InstanceFault } from "../platform.js";
import { APP_PORT } from "./deployed-role.js";
import type { DockerInstance } from "./instance-faults.js";

/** Docker restarts a container whose process died on its own, with a back-off that doubles from 100 ms (and resets after 10 s up). */
const POLICY = "on-failure";
const BY = `Docker's restart policy (${POLICY})`;
/** Docker's back-off stops doubling at a minute; a restart is awaited a little longer than that. */
const RESTART_WAIT_MS = 75_000;

export interface DockerCrashLoopOptions {
  readonly instance: DockerInstance;
  readonly role: string;
  readonly index: number;
  readonly emit: Sink;
  readonly clock?: Clock;
  readonly signal: AbortSignal;
  /** The container's port, published anew on the host at each restart: the platform's instance follows it. */
  onHostPort(port: number): void;
  /** Resolves once the instance is ready again (after undo). */
  ready(): Promise<void>;
}

/**
 * A crash loop on one container. The run's containers have no restart
 * policy, so the fault gives this one `on-failure` and kills its process
 * from the host, as the kernel does (SIGKILL to the pid Docker reports, in
 * this machine's pid namespace): a `docker kill` is a deliberate stop, which
 * Docker never restarts. Docker then restarts it with its own back-off, and
 * it is killed again each time it comes back, until undone. Undo stops the
 * killing, waits for Docker's next restart, and takes the policy away again.
 */
export async function crashLoopContainer(o: DockerCrashLoopOptions): Promise<InstanceFault> {
  const container = docker().getContainer(o.instance.id);
  const observe = async () => {
    const info = await container.inspect();
    const up = info.State.Running && !info.State.Restarting && info.State.Pid > 0;
    // Docker counts a restart when it schedules it, before its back-off: one pending while restarting is not made yet.
    const restarts = info.RestartCount - (info.State.Restarting ? 1 : 0);
    return { running: up ? String(info.State.Pid) : undefined, restarts, ...(info.State.Restarting ? { waiting: "restarting (Docker's back-off)" } : {}), info };
  };
  const kill = async (pid: string) => {
    // The pid is the engine's view: only kill it where it is this container's process here too (an engine in a VM has pids of its own).
    const cgroup = await readFile(`/proc/${pid}/cgroup`, "utf8").catch(() => "");
    if (!cgroup.includes(o.instance.id)) {
      throw new HarnessError("CONTAINER_FAILED", `process ${pid} of ${o.instance.name} is not visible from this machine, so it cannot be killed as a crash`, {
        hint: "the crash-loop fault on Docker needs the Docker engine on this machine (not in a VM); use --platform kind, or the kill fault",
      });
    }
    process.kill(Number(pid), "SIGKILL");
  };
  const hostPort = (info: Awaited<ReturnType<typeof observe>>["info"]) => Number(info.NetworkSettings.Ports?.[`${APP_PORT}/tcp`]?.[0]?.HostPort ?? 0);

  /** The run's containers have no restart policy: the one the fault gave is taken away again. */
  const dropPolicy = () => container.update({ RestartPolicy: { Name: "no" } });
  await container.update({ RestartPolicy: { Name: POLICY, MaximumRetryCount: 0 } });
  const first = await observe();
  try {
    if (!first.running) throw new HarnessError("CONTAINER_FAILED", `${o.instance.name} is not running: nothing to crash`);
    await kill(first.running);
  } catch (e) {
    await dropPolicy().catch(() => undefined);
    throw e;
  }
  // The first restart shows the policy at work before the step goes on.
  await waitFor(async () => ((await observe()).restarts > first.restarts ? true : undefined), {
    description: `Docker to restart ${o.instance.name} after its process was killed`,
    timeoutMs: 10_000,
    intervalMs: 50,
    clock: o.clock,
    signal: o.signal,
  }).catch(async (e: unknown) => {
    await dropPolicy().catch(() => undefined);
    throw e;
  });
  const restart = (restarts: number, waiting?: string) =>
    o.emit({ type: "instance.restarted", role: o.role, instance: o.index, name: o.instance.name, restarts, by: BY, ...(waiting ? { waiting } : {}) });
  const loop = startCrashLoop({
    first: { killed: first.running, restarts: first.restarts },
    observe: async () => {
      const now = await observe();
      if (now.running) o.onHostPort(hostPort(now.info));
      return now;
    },
    kill,
    onRestart: (restarts, waiting) => restart(restarts, waiting),
    onError: (message) => o.emit({ type: "note", level: "warn", message: `crash loop on ${o.instance.name}: ${message}` }),
    clock: o.clock,
  });
  let undone: string | undefined;
  return {
    detail: `${o.instance.name}'s process killed (SIGKILL from the host, a crash to Docker) each time ${BY} brings it back, Docker backing off between restarts`,
    undo: async () => {
      if (undone !== undefined) return undone;
      const summary = await loop.stop();
      const kills = summary.kills;
      if (!o.instance.current()) return (undone = `killed ${kills} time(s); the container was replaced since`);
      const back = await waitFor(async () => {
        const now = await observe();
        return now.running ? now : undefined;
      }, { description: `Docker to restart ${o.instance.name} once the crash loop ended`, timeoutMs: RESTART_WAIT_MS, intervalMs: 100, clock: o.clock, signal: o.signal });
      await dropPolicy().catch((e: unknown) => {
        throw new HarnessError("CONTAINER_FAILED", `could not take the restart policy of ${o.instance.name} away: ${errorMessage(e)}`, { cause: e });
      });
      o.onHostPort(hostPort(back.info));
      await o.ready();
      return (undone = `killed ${kills} time(s), restarted by ${BY} ${back.restarts - first.restarts} time(s); up and ready again, restart policy back to none`);
    },
  };
}
