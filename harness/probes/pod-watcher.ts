import type { Clock } from "../common/clock.js";
import type { KubernetesView } from "../platforms/platform.js";
import type { Sink } from "../timeline/events.js";

/**
 * Reads every role's pods and ready Service endpoints from the API server on
 * its own schedule and puts each change on the timeline (pods.observed): the
 * evidence pods expectations are judged from, independent of what the run did.
 */
export class PodWatcher {
  private readonly stopper = new AbortController();
  private running: Promise<void> | undefined;
  private readonly last = new Map<string, string>();

  constructor(
    private readonly kubernetes: KubernetesView,
    private readonly options: { intervalMs: number; emit: Sink; clock: Clock },
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** One read now: the state right after a step's action is on the timeline before the step is judged. */
  async poll(): Promise<void> {
    let observations;
    try {
      observations = await this.kubernetes.observe();
    } catch {
      return; // a missed read is a gap in the evidence, not a failure of the run
    }
    for (const o of observations) {
      const key = JSON.stringify(o);
      if (this.last.get(o.role) === key) continue;
      this.last.set(o.role, key);
      this.options.emit({ type: "pods.observed", role: o.role, endpoints: o.endpoints, pods: o.pods, ...(o.autoscaler ? { autoscaler: o.autoscaler } : {}), ...(o.budget ? { budget: o.budget } : {}) });
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopper.signal.aborted) {
      await this.poll();
      await this.options.clock.sleep(this.options.intervalMs, this.stopper.signal).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
  }
}
