import { satisfies, type Comparison } from "../document/comparison.js";
import type { RequestResult } from "../load/load-generator.js";

/** One version a role ran, from when to when, with what the load saw of it while it did. */
export interface VersionRun {
  readonly role: string;
  readonly version: string;
  /** Epoch ms it became the role's version. */
  readonly fromWallMs: number;
  /** Epoch ms another version replaced it; absent while it is the role's version. */
  toWallMs?: number;
  requests: number;
  failures: number;
}

export interface KnownGood {
  readonly version: string;
  readonly requests: number;
  readonly errorRate: number;
}

/**
 * The run's deployment history: the versions each role ran, in order, and
 * the load's answers from each (by the X-App-Version they carry). The
 * document's application recovery deploys the "last known good version";
 * here that is read from the history, never named by hand: the newest
 * version before the current one that served enough requests and whose
 * error rate did not breach the document's rollback trigger.
 */
export class DeploymentHistory {
  private readonly runs: VersionRun[] = [];

  /** `role` runs `version` from `wallMs` on (its first deployment, a rollout, a restore of an older one). */
  deployed(role: string, version: string, wallMs: number): void {
    const current = this.current(role);
    if (current?.version === version) return;
    if (current) current.toWallMs = wallMs;
    this.runs.push({ role, version, fromWallMs: wallMs, requests: 0, failures: 0 });
  }

  /** One answer of the load, counted for the run of its version that was live when it was sent. */
  see(r: RequestResult): void {
    if (r.version === undefined) return;
    const run = this.runs.findLast((v) => v.version === r.version && v.fromWallMs <= r.at && (v.toWallMs === undefined || r.at < v.toWallMs));
    if (!run) return;
    run.requests++;
    if (r.code === 0 || r.code >= 500) run.failures++;
  }

  current(role: string): VersionRun | undefined {
    return this.runs.findLast((v) => v.role === role);
  }

  /** Every version run of a role, oldest first. */
  of(role: string): readonly VersionRun[] {
    return this.runs.filter((v) => v.role === role);
  }

  /**
   * The newest version the role ran before its current one that served at
   * least `minRequests` and whose error rate did not satisfy `trigger` (the
   * document's ">5%"): undefined when the history holds none.
   */
  lastKnownGood(role: string, trigger: Comparison, minRequests: number): KnownGood | undefined {
    const current = this.current(role);
    for (const run of this.of(role).slice().reverse()) {
      if (run === current || run.version === current?.version || run.requests < minRequests) continue;
      const errorRate = run.failures / run.requests;
      if (!satisfies(trigger, errorRate)) return { version: run.version, requests: run.requests, errorRate };
    }
    return undefined;
  }
}
