import { afterEach, describe, expect, it } from "vitest";
import { OperatorDesk } from "../runner/operator-desk.js";
import type { Stamped } from "../timeline/events.js";
import { faultOf, startLiveServer, type LiveServer } from "./server.js";

const at = (t: number, e: object): Stamped => ({ ...e, t, specT: t, at: new Date(t * 1000).toISOString() }) as Stamped;

let server: LiveServer | undefined;
afterEach(async () => server?.close());

/** Reads the event stream until `until` holds for what came, or 5 s pass. */
async function stream(url: string, until: (events: Array<{ event: string; data: any }>) => boolean): Promise<Array<{ event: string; data: any }>> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  const reader = res.body!.getReader();
  const out: Array<{ event: string; data: any }> = [];
  let text = "";
  const deadline = Date.now() + 5000;
  while (!until(out) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    let cut: number;
    while ((cut = text.indexOf("\n\n")) >= 0) {
      const block = text.slice(0, cut);
      text = text.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
      out.push({ event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) });
    }
  }
  controller.abort();
  return out;
}

describe("the live server", () => {
  it("answers only with the run's token, on 127.0.0.1", async () => {
    let aborted = 0;
    server = await startLiveServer({ scenario: "s", platform: "docker", timeScale: 1, desk: new OperatorDesk("docker"), abort: () => aborted++, versions: { stable: "good-1" }, token: "a".repeat(32) });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=a{32}$/);
    const base = server.url.replace(/\?.*/, "");
    expect((await fetch(base)).status).toBe(403);
    expect((await fetch(`${base}?token=${"b".repeat(32)}`)).status).toBe(403);
    expect((await fetch(`${base}api/abort`, { method: "POST", body: "{}" })).status).toBe(403);
    expect(aborted).toBe(0);
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<option value="set-faults"');
    expect((await fetch(`${base}api/abort`, { method: "POST", headers: { "x-gameday-token": "a".repeat(32) }, body: "{}" })).status).toBe(202);
    expect(aborted).toBe(1);
  });

  it("replays the run so far to a page that connects late, then streams each event with its progress line, the plots and the end", async () => {
    server = await startLiveServer({ scenario: "s", platform: "docker", timeScale: 0.01, desk: new OperatorDesk("docker"), abort: () => undefined, versions: { stable: "good-1", candidate: "good-2" } });
    server.publish(at(0, { type: "load.started", phase: "load", target: "router", executor: "constant-arrival-rate", plannedRequests: 10 }));
    server.publish(at(1, { type: "load.second", phase: "load", second: 0, version: "good-1", requests: 10, failed: 1, codes: { "200": 9, "500": 1 }, p50: 3, p95: 5, p99: 6, max: 7 }));
    const base = server.url.replace("/?", "/events?");
    const first = await stream(base, (es) => es.some((e) => e.event === "desk"));
    expect(first.filter((e) => e.event === "timeline").map((e) => [e.data.event.type, e.data.line])).toEqual([
      ["load.started", expect.stringMatching(/^\[ +0\.0s\] load: constant-arrival-rate against router/)],
      ["load.second", null],
    ]);
    const charts = first.find((e) => e.event === "charts")!.data;
    expect(charts.timeScale).toBe(0.01);
    expect(charts.charts.find((c: { title: string }) => c.title.startsWith("Error rate per second")).series[0].points).toEqual([[0, 10], [1, 10]]);
    expect(first.find((e) => e.event === "desk")!.data).toEqual({ state: "waiting", injected: [] });
    setTimeout(() => server!.finish({ verdict: "passed", exitCode: 0, report: "runs/x/report.html" }), 50);
    const later = await stream(base, (es) => es.some((e) => e.event === "finished"));
    expect(later.find((e) => e.event === "finished")!.data).toEqual({ verdict: "passed", exitCode: 0, report: "runs/x/report.html" });
  });

  it("says why the desk refused, and reads a fault's settings as a scenario step's YAML", async () => {
    server = await startLiveServer({ scenario: "s", platform: "docker", timeScale: 1, desk: new OperatorDesk("docker"), abort: () => undefined, versions: {}, token: "c".repeat(32) });
    const res = await fetch(server.url.replace("/?token=" + "c".repeat(32), "/api/mark"), { method: "POST", headers: { "x-gameday-token": "c".repeat(32) }, body: JSON.stringify({ text: "hello" }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/not up yet/);
    expect(faultOf({ type: "kill", params: "role: stable" })).toEqual({ type: "kill", role: "stable" });
    expect(faultOf({ type: "set-faults", params: "role: stable, settings: { errorRate: 0.5 }" })).toEqual({ type: "set-faults", role: "stable", settings: { errorRate: 0.5 } });
    expect(faultOf({ type: "set-faults", params: "{ role: stable }" })).toEqual({ type: "set-faults", role: "stable" });
    expect(faultOf({ type: "database-pause", params: "" })).toEqual({ type: "database-pause" });
    expect(faultOf({ fault: { type: "kill", role: "a" } })).toEqual({ type: "kill", role: "a" });
    expect(() => faultOf({ type: "kill", params: "role: [unclosed" })).toThrow(/must be a YAML mapping/);
  });
});
