import { describe, expect, it } from "vitest";
import type { RunResults } from "../report/results.js";
import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { auditEntries } from "./audit-entries.js";

const stamp = (t: number, e: TimelineEvent): Stamped => ({ ...e, t, specT: t * 100, at: new Date(Date.UTC(2026, 11, 2, 10, 0, t)).toISOString() }) as Stamped;

const results = (o: Partial<RunResults> = {}): RunResults =>
  ({
    runId: "20261202-100000-canary-fail-abcd",
    scenario: "canary-fail",
    platform: "docker",
    versions: { stable: "good-1", candidate: "erroring-1" },
    verdict: "passed",
    startedAt: "2026-12-02T10:00:00.000Z",
    wallSeconds: 20,
    specSeconds: 2000,
    strategy: { result: "rolled-back" },
    rollback: { trigger: "error_rate", source: "rollback-trigger", stage: "canary-10", reason: "error rate 20% > 5%", strategy: "immediate", detectedAfterSeconds: 1, completedAfterSeconds: 0.2 },
    error: null,
    ...o,
  }) as RunResults;

const deployedEvents = [
  stamp(1, { type: "resource.started", kind: "container", role: "database", name: "db", id: "1" }),
  stamp(3, { type: "resource.started", kind: "container", role: "stable", name: "s0", id: "2" }),
  stamp(5, { type: "strategy.started", strategy: "canary", stages: [], intervalSeconds: 1, windowSeconds: 2 } as unknown as TimelineEvent),
  stamp(9, { type: "rollback.decided" } as unknown as TimelineEvent),
  stamp(20, { type: "run.finished", verdict: "passed", exitCode: 0, wallSeconds: 20 }),
];

describe("what a run adds to the audit trail", () => {
  it("a rolled-back canary: the rollback with its reason, then the deployment with its outcome, at the times they happened", () => {
    const entries = auditEntries(results(), deployedEvents, "production");
    expect(entries.map((e) => [e.type, e.at?.toISOString()])).toEqual([
      ["rollback", "2026-12-02T10:00:09.000Z"],
      ["deployment", "2026-12-02T10:00:20.000Z"],
    ]);
    expect(entries[0]!.body).toMatchObject({ environment: "production", reason: "error_rate", stage: "canary-10", from: "erroring-1", to: "good-1" });
    expect(entries[1]!.body).toMatchObject({ environment: "production", version: "erroring-1", strategy: "canary", outcome: "rolled-back", durationSeconds: 20 });
  });

  it("a restore, and a game day's environment named after its platform", () => {
    const events = [...deployedEvents.slice(0, 2), stamp(12, { type: "backup.restored", id: "0002-database", kind: "database", bytes: 4096, seconds: 1.5, takenAtSpecSeconds: 600 }), deployedEvents[4]!];
    const entries = auditEntries(results({ strategy: null, rollback: null, versions: { stable: "good-1" } }), events, undefined);
    expect(entries.map((e) => e.type)).toEqual(["restore", "deployment"]);
    expect(entries[0]!.body).toMatchObject({ environment: "game-day-docker", backup: "0002-database", kind: "database" });
    expect(entries[1]!.body).toMatchObject({ version: "good-1", outcome: "deployed", strategy: null });
  });

  it("nothing for a run that never deployed a version (only its database started, or nothing)", () => {
    expect(auditEntries(results({ verdict: "error", error: { code: "ENGINE_UNAVAILABLE", message: "no engine" } }), [deployedEvents[0]!], "staging")).toEqual([]);
    expect(auditEntries(results(), [], "staging")).toEqual([]);
  });
});
