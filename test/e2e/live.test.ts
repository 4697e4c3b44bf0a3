import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser.js";
import { ScenarioFiles } from "../support/scenario-files.js";
import { cli, readEvents, readResults, runContainers } from "./cli.js";

// A live game day driven from its page in a real browser (Debian's Chromium through playwright-core): the page
// follows the running scenario, a fault injected and a mark made from it are in the run's evidence, and its
// abort ends the run as Ctrl-C does (exit 130, nothing left behind).

const files = new ScenarioFiles();
let browser: Browser;
beforeAll(async () => {
  files.open("gameday-live-");
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  files.close();
  await browser?.close();
});

const SCENARIO = `name: live-e2e
description: the service without a database under a light load, for a game day by hand
database: false
versions:
  stable: { image: app, tag: good-1 }
load:
  target: stable
  executor: constant-arrival-rate
  rate: 20
  duration: 90s
  timeout: 2s
  requests:
    # Without a database every list answers 503; the service's faults (here the added latency) apply to /api.
    - { method: GET, path: /api/evaluations }
steps:
  - name: watch
    observe: 90s
expect:
  - id: alive
    probe: { role: stable, path: /health, status: 200 }
`;

describe("gameday run --live", () => {
  it("serves a page that follows the run, injects a fault and marks from it into the evidence, and aborts the run cleanly", async () => {
    const file = files.write(SCENARIO, "live-e2e.yaml");
    let announce: (url: string) => void = () => undefined;
    const announced = new Promise<string>((resolve) => (announce = resolve));
    const run = cli(["run", file, "--live"], {
      onStdout: (text) => {
        const m = /^live: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}) /m.exec(text);
        if (m) announce(m[1]!);
      },
    });
    const url = await Promise.race([announced, run.then((r) => Promise.reject(new Error(`the run ended before its page was announced: ${r.stdout}${r.stderr}`)))]);

    // Without the token: nothing.
    expect((await fetch(url.replace(/\?token=.*/, ""))).status).toBe(403);
    expect((await fetch(url.replace(/token=.*/, "token=0123"))).status).toBe(403);

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    // The one refusal the test asks for (a 400) is the only error the browser may log.
    page.on("console", (m) => m.type() === "error" && !m.text().includes("status of 400 (Bad Request)") && errors.push(m.text()));
    await page.goto(url);
    // It follows the run: the step's line, then plots of the load with its seconds in them.
    await page.waitForSelector('#log li[data-type="step.started"]', { timeout: 60_000 });
    await page.waitForFunction(
      () => {
        const plots = (globalThis as unknown as { gamedayPlots?: Array<{ title: string; plot: { data: unknown[][] } }> }).gamedayPlots ?? [];
        return plots.some((p) => p.title.startsWith("Error rate per second") && p.plot.data[0]!.length >= 4);
      },
      undefined,
      { timeout: 30_000 },
    );

    // A fault from the page, as a scenario step would write it.
    await page.selectOption("#fault-type", "set-faults");
    await page.fill("#fault-params", "role: stable, settings: { latencyMs: 40 }");
    await page.click("#inject");
    await page.waitForFunction(() => String((globalThis as any).document.getElementById("message").textContent).startsWith("injected operator-1"));
    await page.waitForSelector('#log li.operator:has-text("inject operator-1")');
    await page.waitForSelector('#injected button[data-id="operator-1"]');
    // A mistake is refused, with why.
    await page.fill("#fault-params", "role: nobody, settings: { latencyMs: 1 }");
    await page.click("#inject");
    await page.waitForSelector("#message.error");
    expect(await page.textContent("#message")).toContain("names role nobody, which this run does not have");
    // A mark.
    await page.fill("#mark-text", "p95 up by the injected 40 ms, as expected");
    await page.click("#mark");
    await page.waitForSelector('#log li.operator:has-text("p95 up by the injected 40 ms")');

    // The page has the load's seconds after the injection (the evidence below reads them) before the abort.
    await page.waitForFunction(
      () => {
        const events = (globalThis as unknown as { gamedayEvents: Array<{ type: string; t: number; version?: string }> }).gamedayEvents;
        const injected = events.find((e) => e.type === "fault.injected");
        return injected !== undefined && events.some((e) => e.type === "load.second" && e.version === "good-1" && e.t > injected.t + 2.5);
      },
      undefined,
      { timeout: 20_000 },
    );
    await page.click("#abort");
    const r = await run;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    await page.waitForFunction(() => (globalThis as any).document.getElementById("status").textContent === "interrupted", undefined, { timeout: 10_000 });
    expect(errors, errors.join("\n")).toEqual([]);
    await page.screenshot({ path: join(r.runDir!, "live.png"), fullPage: true });
    await page.close();

    // The run's evidence says what the operator did, and the fault was really there and really undone.
    const results = readResults(r.runDir!);
    expect(results.verdict).toBe("interrupted");
    const events = readEvents(r.runDir!);
    const acted = events.filter((e) => e.type === "operator.acted").map((e) => [e.action, e.id ?? null]);
    expect(acted).toEqual([
      ["inject", "operator-1"],
      ["mark", null],
      ["abort", null],
    ]);
    const injected = events.find((e) => e.type === "fault.injected")!;
    expect(injected).toMatchObject({ fault: "set-faults", target: "stable" });
    expect(events.some((e) => e.type === "fault.undone" && e.fault === "set-faults" && e.t > injected.t)).toBe(true);
    // The load saw the added latency after the injection.
    const loadStarted = events.find((e) => e.type === "load.started")!.t;
    const after = events.filter((e) => e.type === "load.second" && e.version === "good-1" && loadStarted + (e.second as number) > injected.t + 0.5);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.max(...after.map((e) => e.p50 as number))).toBeGreaterThanOrEqual(40);
    const report = readFileSync(join(r.runDir!, "report.html"), "utf8");
    expect(report).toContain("<h2>The operator (live game day)</h2>");
    expect(report).toContain("p95 up by the injected 40 ms, as expected");
    expect(await runContainers(results.runId)).toBe(0);
  }, 240_000);
});
