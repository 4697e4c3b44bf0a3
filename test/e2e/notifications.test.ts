import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProcesses } from "../../harness/cleanup/processes.js";
import { passingRun, runContainers } from "./cli.js";

// rollback-notifies through the CLI: the rollback's alert goes through a real Alertmanager to the
// Slack-compatible webhook and to Mailpit, and the expectations judge what the receivers got.
describe("notifications of a rollback", () => {
  it("rollback-notifies: the Slack channel and the ops team's mailbox hear of the rollback, with its reason and versions", async () => {
    const { results, events, run } = await passingRun(["scenario", "rollback-notifies"]);
    const decided = events.find((e) => e.type === "rollback.decided")!;
    const sent = events.find((e) => e.type === "notification.sent")!;
    expect(sent).toMatchObject({ alertname: "DeploymentRolledBack", environment: "production", reason: "error_rate", targets: ["Slack #deployment-alerts", "e-mail ops-team@your-org.com"] });
    expect(sent.t).toBeGreaterThanOrEqual(decided.t);
    const received = events.filter((e) => e.type === "notification.received");
    expect(received.map((e) => [e.channel, e.to]).sort()).toEqual([
      ["email", "ops-team@your-org.com"],
      ["slack", "#deployment-alerts"],
    ]);
    for (const e of received) expect(e.text).toMatch(/^Rollback in production: error_rate — Deployment rolled back from erroring-1 back to good-1 in production during shift-10: error rate /);
    const byId = new Map(results.expectations.map((e) => [e.id, e]));
    expect(byId.get("slack-channel-told")!.evidence).toMatch(/^Slack #deployment-alerts had it \d+\.\d\d s after the rollback decision \(bound 60 s\): "Rollback in production: error_rate/);
    expect(byId.get("ops-team-mailed")!.evidence).toMatch(/^e-mail to ops-team@your-org.com had it \d+\.\d\d s after the rollback decision \(bound 60 s\)/);
    // Alertmanager's configuration and both servers' logs are evidence; none of their processes is left.
    const logs = readdirSync(join(run.runDir!, "logs"));
    expect(logs).toEqual(expect.arrayContaining(["alertmanager.yml", "alertmanager.log", "mailpit.log"]));
    expect(readFileSync(join(run.runDir!, "logs", "alertmanager.yml"), "utf8")).toMatch(/channel: "#deployment-alerts"[\s\S]*to: ops-team@your-org.com/);
    expect(runProcesses(results.runId)).toEqual([]);
    expect(await runContainers(results.runId)).toBe(0);
    expect(existsSync(join(run.runDir!, "metrics.prom"))).toBe(true);
  }, 180_000);
});
