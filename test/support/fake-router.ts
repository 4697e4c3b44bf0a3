import type { Clock } from "../../harness/common/clock.js";
import type { Router } from "../../harness/traffic/router.js";
import type { Shares } from "../../harness/traffic/weights.js";

/** One change of the router's shares, with the clock's time when it was asked for. */
export interface ShareChange {
  at: number;
  shares: Shares;
}

/**
 * A router in memory: records every `setShares` with the clock's time, so a
 * test can check the order and the timing of traffic shifts. Shares must
 * add up to 100, as HAProxy's weights demand.
 */
export class FakeRouter implements Router {
  readonly name = "fake-router";
  readonly baseUrl = "http://router.invalid";
  readonly changes: ShareChange[] = [];
  private current: Shares;
  /** Errors the next `setShares` calls throw, in order (the router's API refusing). */
  readonly failures: Error[] = [];

  constructor(
    private readonly clock: Clock,
    initial: Shares = { stable: 100, candidate: 0 },
  ) {
    this.current = { ...initial };
  }

  async setShares(shares: Shares): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    const total = Object.values(shares).reduce((a, b) => a + b, 0);
    if (Math.abs(total - 100) > 1e-9) throw new Error(`fake router: shares must add up to 100%, got ${JSON.stringify(shares)}`);
    this.current = { ...shares };
    this.changes.push({ at: this.clock.now(), shares: { ...shares } });
  }

  async readShares(): Promise<Shares> {
    return { ...this.current };
  }

  /** The candidate's share of each change, in order: [10, 50, 100]. */
  candidateShares(role = "candidate"): number[] {
    return this.changes.map((c) => c.shares[role] ?? 0);
  }
}
