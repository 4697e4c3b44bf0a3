import type { Clock } from "../common/clock.js";
import { systemClock } from "../common/clock.js";
import type { Service } from "../platforms/platform.js";
import type { Sink } from "../timeline/events.js";
import { httpGet } from "./http-probe.js";

export interface MonitorTarget {
  service: Service;
  paths: readonly string[];
}

/**
 * Polls the given paths of every instance on an interval and writes each
 * answer to the timeline as `probe.observed`. Runs until stopped.
 */
export class HealthMonitor {
  private readonly stopper = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(
    private readonly targets: readonly MonitorTarget[],
    private readonly options: { intervalMs: number; emit: Sink; clock?: Clock; timeoutMs?: number },
  ) {}

  start(): void {
    for (const { service, paths } of this.targets) {
      service.instances.forEach((_, index) => {
        for (const path of paths) this.loops.push(this.loop(service, index, path));
      });
    }
  }

  /**
   * One instance's path, by its place among the role's instances: read anew
   * at each poll, so a pod that a rollout replaced is followed by its
   * successor (on Docker a replacement keeps the address anyway).
   */
  private async loop(service: Service, index: number, path: string): Promise<void> {
    const clock = this.options.clock ?? systemClock;
    while (!this.stopper.signal.aborted) {
      const started = clock.now();
      const instance = service.instances[index];
      if (!instance) {
        await clock.sleep(this.options.intervalMs, this.stopper.signal).catch(() => undefined);
        continue;
      }
      const obs = await httpGet(`${instance.baseUrl}${path}`, { timeoutMs: this.options.timeoutMs ?? 2000 });
      if (this.stopper.signal.aborted) break;
      this.options.emit({
        type: "probe.observed",
        target: `${service.role}/${instance.name}`,
        path,
        status: obs.status,
        ms: Math.round(obs.ms * 10) / 10,
        ...(obs.error ? { error: obs.error } : {}),
        ...(obs.body !== undefined && path !== "/metrics" ? { body: obs.body } : {}),
      });
      const wait = this.options.intervalMs - (clock.now() - started);
      if (wait > 0) await clock.sleep(wait, this.stopper.signal).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await Promise.all(this.loops);
    this.loops = [];
  }
}
