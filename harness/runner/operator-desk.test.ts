import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock, TimeScale } from "../common/clock.js";
import { TeardownStack } from "../cleanup/teardown.js";
import type { Platform, Service } from "../platforms/platform.js";
import type { TimelineEvent } from "../timeline/events.js";
import { FAULTS } from "../faults/registry.js";
import { OperatorDesk } from "./operator-desk.js";

// The desk against a stand-in of the reference service's admin endpoint (a local HTTP server, no Docker):
// what it checks before injecting, and what it puts on the timeline. The real service is the e2e's (live.test.ts).
let admin: Server;
let knobs: Record<string, unknown> = { latencyMs: 0 };
let baseUrl = "";
beforeAll(async () => {
  admin = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      if (req.method === "PUT") knobs = { ...knobs, ...(JSON.parse(body) as Record<string, unknown>) };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(knobs));
    });
  });
  await new Promise<void>((r) => admin.listen(0, "127.0.0.1", () => r()));
  baseUrl = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => admin.close(() => r())));

function opened(): { desk: OperatorDesk; events: TimelineEvent[]; teardown: TeardownStack } {
  const events: TimelineEvent[] = [];
  const teardown = new TeardownStack();
  const desk = new OperatorDesk("docker");
  const stable = { role: "stable", version: "good-1", instances: [{ baseUrl }] } as unknown as Service;
  desk.open({ target: { platform: {} as Platform, database: undefined, services: new Map([["stable", stable]]) }, platform: "docker", clock: systemClock, scale: new TimeScale(1), emit: (e) => events.push(e), teardown, signal: new AbortController().signal });
  return { desk, events, teardown };
}

describe("OperatorDesk", () => {
  it("offers the faults of its platform only", () => {
    for (const platform of ["docker", "kind"] as const) {
      const offered = new OperatorDesk(platform).faultTypes();
      expect(offered.map((f) => f.type)).toEqual(FAULTS.filter((f) => (f.platforms as readonly string[]).includes(platform)).map((f) => f.type));
      expect(offered.every((f) => f.summary.length > 10)).toBe(true);
    }
    expect(new OperatorDesk("docker").faultTypes().map((f) => f.type)).toEqual(expect.arrayContaining(["kill", "set-faults", "crash-loop"]));
  });

  it("refuses before the services are up and after the run, saying so", async () => {
    const desk = new OperatorDesk("docker");
    await expect(desk.inject({ type: "kill", role: "stable" })).rejects.toThrow(/not up yet/);
    expect(() => desk.mark("x")).toThrow(/not up yet/);
    desk.close();
    expect(desk.state).toBe("closed");
    expect(() => desk.mark("x")).toThrow(/the run is over/);
  });

  it("checks a fault as a scenario step's: its type, its platform, its schema, its roles, the database it needs", async () => {
    const { desk, events } = opened();
    await expect(desk.inject({ type: "no-such" })).rejects.toThrow(/no fault of type "no-such"/);
    await expect(desk.inject({ type: "set-faults", role: "stable" })).rejects.toThrow(/fault set-faults: settings Invalid input/);
    await expect(desk.inject({ type: "set-faults", role: "candidate", settings: { latencyMs: 5 } })).rejects.toThrow(/names role candidate, which this run does not have/);
    await expect(desk.inject({ type: "database-pause" })).rejects.toThrow(/needs the run's database/);
    await expect(desk.inject({ type: "database-latency", latencyMs: 5 })).rejects.toThrow(/(no fault proxy|needs the run's database)/);
    expect(events).toEqual([expect.objectContaining({ type: "note" })]);
  });

  it("injects, undoes and marks on the timeline, and leaves what is still injected to the teardown", async () => {
    const { desk, events, teardown } = opened();
    knobs = { latencyMs: 0 };
    await expect(desk.inject({ type: "set-faults", role: "stable", settings: { latencyMs: 40 } })).resolves.toEqual({ id: "operator-1", detail: "set-faults on stable" });
    expect(knobs.latencyMs).toBe(40);
    expect(desk.injected()).toEqual([{ id: "operator-1", fault: "set-faults" }]);
    desk.mark("  p95 went up  ");
    await desk.undo("operator-1");
    expect(knobs.latencyMs).toBe(0);
    await expect(desk.undo("operator-1")).rejects.toThrow(/no fault operator-1 is injected by hand/);
    await desk.inject({ type: "set-faults", role: "stable", settings: { latencyMs: 70 } });
    desk.close();
    expect(desk.injected()).toEqual([]);
    await teardown.runAll();
    expect(knobs.latencyMs).toBe(0);
    expect(events.filter((e) => e.type !== "note").map((e) => (e.type === "operator.acted" ? `${e.action} ${e.id ?? ""} ${e.action === "mark" ? e.detail : ""}`.trim() : e.type))).toEqual([
      "inject operator-1",
      "fault.injected",
      "mark  p95 went up",
      "undo operator-1",
      "fault.undone",
      "inject operator-2",
      "fault.injected",
      "fault.undone",
    ]);
  });
});
