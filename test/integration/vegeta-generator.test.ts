/** VegetaGenerator with the real vegeta binary against a local HTTP server (no Docker). */
import { execFileSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock, type Clock } from "../../harness/common/clock.js";
import { HarnessError } from "../../harness/common/errors.js";
import type { LoadPlan, RequestResult } from "../../harness/load/load-generator.js";
import { ensureVegeta, VegetaGenerator } from "../../harness/load/vegeta-generator.js";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("vegeta-generator", 0.6); // vegeta against a local server

// A local HTTP server stands in for the reference service: /e answers 500, /hang never answers, the rest 200.
let server: http.Server;
let base: string;
const seen = { count: 0, bodies: [] as string[] };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.count++;
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      if (body) seen.bodies.push(`${req.headers["content-type"]} ${body}`);
      if (req.url === "/hang") return; // never answers
      res.setHeader("X-App-Version", "local-1");
      res.statusCode = req.url === "/e" ? 500 : 200;
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await ensureVegeta();
}, 300_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** vegeta processes that are children of this test process. */
function vegetaChildren(): string[] {
  try {
    return execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.includes("vegeta"));
  } catch {
    return []; // ps exits 1 when there are no children at all
  }
}

function plan(partial: Partial<LoadPlan>): LoadPlan {
  return {
    baseUrl: base,
    segments: [{ ratePerSecond: 100, durationMs: 1000 }],
    requests: [{ method: "GET", path: "/ok", weight: 1 }],
    timeoutMs: 2000,
    maxRequests: 10_000,
    ...partial,
  };
}

async function collect(p: LoadPlan, signal = new AbortController().signal, generator = new VegetaGenerator()) {
  const results: RequestResult[] = [];
  const end = await generator.run(p, (r) => results.push(r), signal);
  return { end, results };
}

describe("VegetaGenerator against a local server", () => {
  it("refuses a base URL that is not loopback before starting anything", async () => {
    const err = await new VegetaGenerator().run(plan({ baseUrl: "http://192.0.2.1:80" }), () => undefined, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe("USAGE");
  });

  it("sends the planned requests at the rate, reports them in send order with status and version", async () => {
    seen.bodies.length = 0;
    const { end, results } = await collect(
      plan({
        segments: [{ ratePerSecond: 200, durationMs: 1500 }],
        requests: [
          { method: "GET", path: "/ok", weight: 3 },
          { method: "POST", path: "/e", body: { n: 1 }, weight: 1 },
        ],
      }),
    );
    expect(end).toEqual({ sent: 300, stoppedBy: "completed" });
    expect(results).toHaveLength(300);
    // Attack by attack, each in send order; an attack whose process started late may still be sending its
    // last requests when the next starts on schedule (measured: 2.6 ms on a busy machine), never more than that.
    for (let i = 1; i < results.length; i++) expect(results[i]!.at).toBeGreaterThanOrEqual(results[i - 1]!.at - 50);
    expect(results.filter((r) => r.code === 500)).toHaveLength(75);
    expect(results.filter((r) => r.code === 200)).toHaveLength(225);
    expect(results.every((r) => r.version === "local-1" && r.latencyMs > 0 && r.error === undefined)).toBe(true);
    const span = results[results.length - 1]!.at - results[0]!.at;
    expect(span).toBeGreaterThan(1400);
    expect(span).toBeLessThan(1600);
    expect(Math.abs(results[0]!.at - Date.now())).toBeLessThan(10_000);
    expect(seen.bodies[0]).toBe('application/json {"n":1}');
    expect(vegetaChildren()).toEqual([]);
  });

  it("runs segments back to back and keeps send order across them", async () => {
    const started = Date.now();
    const { end, results } = await collect(
      plan({
        segments: [
          { ratePerSecond: 50, durationMs: 400 },
          { ratePerSecond: 0, durationMs: 300 },
          { ratePerSecond: 100, durationMs: 400 },
          { ratePerSecond: 25.5, durationMs: 400 },
        ],
      }),
    );
    expect(end.stoppedBy).toBe("completed");
    expect(results.length).toBeGreaterThanOrEqual(20 + 40 + 10 - 3);
    expect(results.length).toBeLessThanOrEqual(20 + 40 + 11 + 3);
    // Attack by attack, each in send order; an attack whose process started late may still be sending its
    // last requests when the next starts on schedule (measured: 2.6 ms on a busy machine), never more than that.
    for (let i = 1; i < results.length; i++) expect(results[i]!.at).toBeGreaterThanOrEqual(results[i - 1]!.at - 50);
    // The idle segment shows as a gap of about 300 ms.
    const gaps = results.slice(1).map((r, i) => r.at - results[i]!.at);
    expect(Math.max(...gaps)).toBeGreaterThan(250);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("stops at maxRequests, early", async () => {
    const started = Date.now();
    const { end, results } = await collect(plan({ segments: [{ ratePerSecond: 100, durationMs: 10_000 }], maxRequests: 120 }));
    expect(end).toEqual({ sent: 120, stoppedBy: "max-requests" });
    expect(results).toHaveLength(120);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(vegetaChildren()).toEqual([]);
  });

  it("stops when the signal aborts and leaves no process behind", async () => {
    const controller = new AbortController();
    const results: RequestResult[] = [];
    const started = Date.now();
    const run = new VegetaGenerator({ graceMs: 1000 }).run(
      plan({ segments: [{ ratePerSecond: 100, durationMs: 20_000 }] }),
      (r) => {
        results.push(r);
        if (results.length === 50) controller.abort();
      },
      controller.signal,
    );
    const end = await run;
    expect(end.stoppedBy).toBe("aborted");
    expect(end.sent).toBe(results.length);
    expect(results.length).toBeGreaterThanOrEqual(50);
    expect(results.length).toBeLessThan(400);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(vegetaChildren()).toEqual([]);
  });

  it("returns at once for a signal already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await collect(plan({}), controller.signal)).end).toEqual({ sent: 0, stoppedBy: "aborted" });
  });

  it("kills everything at the deadline when answers do not come", async () => {
    // A clock whose long sleeps (only the deadline's) are short, so the test does not wait 16 s.
    const clock: Clock = { now: () => Date.now(), sleep: (ms, signal) => systemClock.sleep(ms > 10_000 ? 800 : ms, signal) };
    const started = Date.now();
    const { end, results } = await collect(
      plan({ segments: [{ ratePerSecond: 20, durationMs: 600 }], requests: [{ method: "GET", path: "/hang", weight: 1 }], timeoutMs: 10_000 }),
      new AbortController().signal,
      new VegetaGenerator({ clock, graceMs: 500 }),
    );
    expect(end.stoppedBy).toBe("deadline");
    expect(results).toEqual([]);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(vegetaChildren()).toEqual([]);
  });

  it("reports transport errors as code 0 with the error and no version", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { end, results } = await collect(plan({ baseUrl: `http://127.0.0.1:${port}`, segments: [{ ratePerSecond: 20, durationMs: 250 }] }));
    expect(end.stoppedBy).toBe("completed");
    expect(results.length).toBeGreaterThanOrEqual(4);
    expect(results.every((r) => r.code === 0 && /refused/.test(r.error ?? "") && r.version === undefined)).toBe(true);
  });

  it("fails with COMMAND_FAILED naming vegeta when it rejects the targets", async () => {
    // No method: vegeta refuses the targets file ("required method is missing") and exits 1.
    const err = await collect(plan({ requests: [{ method: "" as "GET", path: "/ok", weight: 1 }] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe("COMMAND_FAILED");
    expect((err as HarnessError).message).toMatch(/^`vegeta attack .*` exited with 1:\n.*method is missing/);
    expect(vegetaChildren()).toEqual([]);
  });

  it("stops and rethrows when the result callback throws", async () => {
    let calls = 0;
    const err = await new VegetaGenerator()
      .run(
        plan({ segments: [{ ratePerSecond: 100, durationMs: 5000 }] }),
        () => {
          if (++calls === 10) throw new Error("consumer broke");
        },
        new AbortController().signal,
      )
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe("consumer broke");
    expect(calls).toBe(10);
    expect(vegetaChildren()).toEqual([]);
  });
});
