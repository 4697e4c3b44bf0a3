import type { Clock, TimeScale } from "../common/clock.js";
import { HarnessError } from "../common/errors.js";
import type { TeardownStack } from "../cleanup/teardown.js";
import type { FaultTarget } from "../faults/fault.js";
import { FAULTS, faultType } from "../faults/registry.js";
import type { PlatformName } from "../model/platform-name.js";
import type { Sink } from "../timeline/events.js";
import { FaultSchedule } from "./fault-schedule.js";

/** What a live run's operator may do while it goes, on the run's own timeline. */
export interface OperatorOpening {
  target: FaultTarget;
  platform: PlatformName;
  clock: Clock;
  scale: TimeScale;
  emit: Sink;
  teardown: TeardownStack;
  signal: AbortSignal;
}

/**
 * The operator's desk of a game day: faults injected by hand (any fault the
 * run's platform supports, checked by the same schema as a scenario step's),
 * undone by hand or at the end of the run like a step's fault without
 * `for`, and observations marked on the timeline. The run opens it once its
 * services are up and closes it before the evidence is read; the live page
 * (harness/live/) calls it. What the operator did is on the timeline
 * (`operator.acted`), so the report and results show it like any event.
 */
export class OperatorDesk {
  private opened: (OperatorOpening & { schedule: FaultSchedule }) | undefined;
  private closed = false;
  private count = 0;
  private readonly live = new Map<string, string>();

  constructor(private readonly platform: PlatformName) {}

  /** The faults this run's platform can take, for the page's choice. */
  faultTypes(): Array<{ type: string; summary: string }> {
    return FAULTS.filter((f) => (f.platforms as readonly string[]).includes(this.platform)).map((f) => ({ type: f.type, summary: f.summary }));
  }

  /** Faults injected by hand and not undone yet: their ids and what they are (none once closed: the teardown undoes them). */
  injected(): Array<{ id: string; fault: string }> {
    return this.closed ? [] : [...this.live].map(([id, fault]) => ({ id, fault }));
  }

  get state(): "waiting" | "open" | "closed" {
    return this.closed ? "closed" : this.opened ? "open" : "waiting";
  }

  open(o: OperatorOpening): void {
    this.opened = { ...o, schedule: new FaultSchedule({ clock: o.clock, scale: o.scale, emit: o.emit, teardown: o.teardown, signal: o.signal }) };
    o.emit({ type: "note", level: "info", message: "the operator's desk is open: faults and marks from the live page go on the timeline" });
  }

  /** No more by hand: what is still injected is the teardown's to undo. */
  close(): void {
    this.closed = true;
    this.opened?.schedule.close();
  }

  /** Inject a fault given as a scenario step's `fault:` mapping; resolves with its id and what it did. */
  async inject(spec: unknown): Promise<{ id: string; detail: string }> {
    const o = this.desk();
    const type = typeof spec === "object" && spec !== null ? (spec as { type?: unknown }).type : undefined;
    const entry = typeof type === "string" ? faultType(type) : undefined;
    if (!entry) throw new HarnessError("USAGE", `no fault of type ${JSON.stringify(type)}`, { hint: `faults on ${this.platform}: ${this.faultTypes().map((f) => f.type).join(", ")}` });
    if (!(entry.platforms as readonly string[]).includes(o.platform)) throw new HarnessError("USAGE", `fault ${entry.type} is not available on ${o.platform}`, { hint: `it runs on ${entry.platforms.join(", ")}` });
    const parsed = entry.schema.safeParse(spec);
    if (!parsed.success) {
      throw new HarnessError("USAGE", `fault ${entry.type}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(fault)"} ${i.message}`).join("; ")}`, { hint: "the same mapping as a scenario step's fault:, e.g. { type: kill, role: stable }" });
    }
    for (const role of entry.roles(parsed.data)) {
      if (!o.target.services.has(role)) throw new HarnessError("USAGE", `fault ${entry.type} names role ${role}, which this run does not have`, { hint: `roles: ${[...o.target.services.keys()].join(", ")}` });
    }
    if (entry.needsDatabase && !o.target.database) throw new HarnessError("USAGE", `fault ${entry.type} needs the run's database, and this run has none`);
    if (entry.needsDatabaseProxy && !o.target.database?.proxy) throw new HarnessError("USAGE", `fault ${entry.type} acts between the services and the database, and this run has no fault proxy there`, { hint: "a scenario with a database-network step gets one; start the game day from such a scenario" });
    const id = `operator-${++this.count}`;
    o.emit({ type: "operator.acted", action: "inject", id, detail: JSON.stringify(parsed.data) });
    const fault = entry.create(parsed.data, o.target);
    await o.schedule.start(id, fault, { atMs: 0 });
    this.live.set(id, entry.type);
    return { id, detail: `${fault.name} on ${fault.target}` };
  }

  async undo(id: string): Promise<void> {
    const o = this.desk();
    if (!this.live.has(id)) throw new HarnessError("USAGE", `no fault ${id} is injected by hand`, { hint: `injected: ${[...this.live.keys()].join(", ") || "none"}` });
    o.emit({ type: "operator.acted", action: "undo", id, detail: this.live.get(id)! });
    this.live.delete(id);
    await o.schedule.undo(id);
  }

  /** An observation the operator wants on the timeline. */
  mark(text: string): void {
    const o = this.desk();
    const trimmed = text.trim().slice(0, 500);
    if (trimmed === "") throw new HarnessError("USAGE", "a mark needs some text");
    o.emit({ type: "operator.acted", action: "mark", detail: trimmed });
  }

  /** Said on the timeline before the run is aborted (the page's abort). */
  aborting(): void {
    this.opened?.emit({ type: "operator.acted", action: "abort", detail: "the operator aborted the run from the live page" });
  }

  private desk(): OperatorOpening & { schedule: FaultSchedule } {
    if (this.closed) throw new HarnessError("USAGE", "the run is over: the desk is closed");
    if (!this.opened) throw new HarnessError("USAGE", "the run's services are not up yet: try again in a moment");
    return this.opened;
  }
}
