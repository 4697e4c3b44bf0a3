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
      for (const instance of service.instances) {
        for (const path of paths) this.loops.push(this.loop(service.role, instance.baseUrl, instance.name, path));
      }
    }
  }

  private async loop(role: string, baseUrl: string, instance: string, path: string): Promise<void> {
    const clock = this.options.clock ?? systemClock;
    while (!this.stopper.signal.aborted) {
      const started = clock.now();
      const obs = await httpGet(`${baseUrl}${path}`, { timeoutMs: this.options.timeoutMs ?? 2000 });
      if (this.stopper.signal.aborted) break;
      this.options.emit({
        type: "probe.observed",
        target: `${role}/${instance}`,
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
