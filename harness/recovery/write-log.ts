import type { RequestResult } from "../load/load-generator.js";

/** A write the service acknowledged: a POST answered 2xx with the id of the row it created. */
export interface AcknowledgedWrite {
  readonly id: string;
  /** Epoch milliseconds it was sent. */
  readonly sentWallMs: number;
  /** Epoch milliseconds its answer came back: the row was committed before this. */
  readonly ackWallMs: number;
}

/**
 * The load's writes, as the load generator saw them: every acknowledged one
 * with its row id, and the send time of every request that failed (transport
 * error or 5xx). A disaster recovery drill judges the restored table against
 * the acknowledged writes, and times detection and recovery from both.
 */
export class WriteLog {
  readonly writes: AcknowledgedWrite[] = [];
  private readonly failures: number[] = [];
  private readonly listeners: Array<(w: AcknowledgedWrite) => void> = [];

  see(r: RequestResult): void {
    if (r.created !== undefined) {
      const write = { id: r.created, sentWallMs: r.at, ackWallMs: r.at + r.latencyMs };
      this.writes.push(write);
      for (const l of this.listeners) l(write);
    } else if (r.code === 0 || r.code >= 500) {
      this.failures.push(r.at);
    }
  }

  /** Called with every acknowledged write from now on. */
  onWrite(listener: (w: AcknowledgedWrite) => void): void {
    this.listeners.push(listener);
  }

  /** The first request sent at or after `wallMs` that failed, if any. */
  firstFailureSince(wallMs: number): number | undefined {
    return this.failures.find((t) => t >= wallMs);
  }
}
