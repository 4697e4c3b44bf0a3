import type { Shares } from "./weights.js";

/** The thing that holds the traffic weights between versions; weights change live, without a restart. */
export interface Router {
  readonly name: string;
  /** Where traffic enters, reachable from the harness (http://127.0.0.1:PORT). */
  readonly baseUrl: string;
  setShares(shares: Shares): Promise<void>;
  /** The shares as the router itself reports them (read back, not remembered). */
  readShares(): Promise<Shares>;
}
