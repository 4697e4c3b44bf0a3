import { describe, expect, it } from "vitest";
import { cli, readEvents, readResults, runContainers, type RunEvent, passingRun } from "./cli.js";

// The network faults between the service and PostgreSQL through the real CLI: the run puts Toxiproxy between them
// because a step asks for it, each fault shows in the load stream and /ready, ends by itself (for), and goes on Ctrl-C.

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("database network faults on Docker", () => {
  it("database-network: latency slows every answer without failing it, reset and cut fail them, each undone by itself, then fast again", async () => {
    const { results, events } = await passingRun(["scenario", "database-network"]);
    expect(events.find((e) => e.type === "resource.started" && e.role === "database-proxy")).toBeDefined();
    expect(events.find((e) => e.type === "resource.removed" && e.role === "database-proxy")).toBeDefined();
    const of = (type: string, fault: string) => events.find((e) => e.type === type && e.fault === fault)!;
    for (const f of ["database-latency", "database-reset", "database-cut"]) {
      expect(of("fault.injected", f)).toMatchObject({ target: "database-connections", detail: expect.stringMatching(/\(toxiproxy .*gameday-.*-db-proxy\)$/) });
      expect(of("fault.undone", f)).toMatchObject({ target: "database-connections" });
    }

    // Every second of the load by the wall second it was sent in (seconds since the first request).
    const started = events.find((e) => e.type === "load.started")!.t;
    const seconds = events.filter((e) => e.type === "load.second" && e.version === "*");
    const sentBetween = (from: number, to: number) => seconds.filter((s) => started + (s.second as number) >= from && started + (s.second as number) + 1 <= to);
    const p50s = (xs: RunEvent[]) => xs.map((s) => s.p50 as number);
    const failed = (xs: RunEvent[]) => xs.map((s) => `${s.failed as number}/${s.requests as number}`);
    const all = (xs: RunEvent[]) => xs.map((s) => `${s.requests as number}/${s.requests as number}`);

    const baseline = sentBetween(0, of("fault.injected", "database-latency").t);
    expect(baseline.length).toBeGreaterThanOrEqual(5);
    expect(baseline.every((s) => s.failed === 0)).toBe(true);
    expect(median(p50s(baseline))).toBeLessThan(100);
    // The pool's connections are replaced at the new pace in the first seconds; then each answer takes 300 to 500 ms more
    // until the reset comes (the faults overlap by a second; a request sent in the last second may meet the reset).
    const slow = sentBetween(of("fault.injected", "database-latency").t + 4, of("fault.injected", "database-reset").t - 1);
    expect(slow.length).toBeGreaterThanOrEqual(4);
    expect(slow.every((s) => s.failed === 0), failed(slow).join(" ")).toBe(true);
    for (const p of p50s(slow)) expect(p).toBeGreaterThanOrEqual(300);
    const reset = sentBetween(of("fault.injected", "database-reset").t + 1, of("fault.undone", "database-reset").t - 1);
    expect(reset.length).toBeGreaterThanOrEqual(5);
    expect(failed(reset)).toEqual(all(reset));
    // Seconds are counted from the first request, so a second may straddle an event by a fraction: a second's margin at each end.
    const cut = sentBetween(of("fault.injected", "database-cut").t + 1, of("fault.undone", "database-cut").t - 1);
    expect(cut.length).toBeGreaterThanOrEqual(5);
    expect(failed(cut)).toEqual(all(cut));
    const after = sentBetween(of("fault.undone", "database-cut").t + 2, Infinity);
    expect(after.length).toBeGreaterThanOrEqual(5);
    expect(after.every((s) => s.failed === 0), failed(after).join(" ")).toBe(true);
    expect(median(p50s(after))).toBeLessThan(100);
    expect(await runContainers(results.runId)).toBe(0);
  }, 180_000);

  it("Ctrl-C while the database is cut: the run ends 130, the cut is undone, nothing is left", async () => {
    let interrupted = false;
    const r = await cli(["scenario", "database-network"], {
      onStdout: (text, child) => {
        if (!interrupted && text.includes("fault database-cut injected")) {
          interrupted = true;
          child.kill("SIGINT");
        }
      },
    });
    expect(interrupted, r.stdout).toBe(true);
    expect(r.code).toBe(130);
    const events = readEvents(r.runDir!);
    expect(events.find((e) => e.type === "fault.injected" && e.fault === "database-cut")).toBeDefined();
    // The teardown undoes the cut (without a fault.undone event: the schedule announces only the undos it makes itself), then removes the proxy.
    const teardown = events.find((e) => e.type === "resource.removed" && e.role === "database-proxy");
    expect(teardown).toBeDefined();
    expect(events.at(-1)).toMatchObject({ type: "run.finished", verdict: "interrupted", exitCode: 130 });
    expect(await runContainers(readResults(r.runDir!).runId)).toBe(0);
  }, 180_000);
});
