import { appendFileSync } from "node:fs";
import type { Clock } from "../common/clock.js";
import { systemClock, TimeScale } from "../common/clock.js";
import type { EventOf, Sink, Stamped, TimelineEvent } from "./events.js";

/** Collects stamped events in memory, appends them to events.jsonl and fans them out to listeners. */
export class Timeline {
  readonly events: Stamped[] = [];
  private readonly listeners: Array<(e: Stamped) => void> = [];
  /** Wall time (epoch ms) the run started: where its spec time counts from. */
  readonly startedAt: number;

  constructor(
    private readonly options: { clock?: Clock; scale?: TimeScale; file?: string } = {},
  ) {
    this.startedAt = this.clock.now();
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  /** Wall seconds since the run started. */
  elapsedSeconds(): number {
    return (this.clock.now() - this.startedAt) / 1000;
  }

  readonly emit: Sink = (event: TimelineEvent) => {
    const now = this.clock.now();
    const t = (now - this.startedAt) / 1000;
    const scale = this.options.scale ?? new TimeScale(1);
    const stamped = { ...event, at: new Date(now).toISOString(), t: round(t), specT: round(scale.toSpecMs(t * 1000) / 1000) } as Stamped;
    this.events.push(stamped);
    if (this.options.file) appendFileSync(this.options.file, JSON.stringify(stamped) + "\n");
    for (const l of this.listeners) l(stamped);
  };

  onEvent(listener: (e: Stamped) => void): void {
    this.listeners.push(listener);
  }

  of<T extends TimelineEvent["type"]>(type: T): Array<Stamped<EventOf<T>>> {
    return this.events.filter((e): e is Stamped<EventOf<T>> => e.type === type);
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
