import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rollbackAlert } from "../../harness/notify/alertmanager-config.js";
import { Notifier, type Received } from "../../harness/notify/notifier.js";
import { runProcesses } from "../../harness/cleanup/processes.js";

// A rollback's notification through a real Alertmanager (built from its Go module) to the harness's
// Slack-compatible webhook and, over SMTP, to a real Mailpit, whose API lists the mail. All on 127.0.0.1.
const runId = `test-notify-${process.pid}`;
const logDir = mkdtempSync(join(tmpdir(), "gameday-notify-test-"));
const seen: Received[] = [];
const notifier = new Notifier({ runId, logDir, targets: { slackChannels: ["#deployment-alerts"], emails: ["ops-team@your-org.com"] }, onReceived: (r) => seen.push(r) });

beforeAll(() => notifier.start(), 180_000);
afterAll(() => notifier.stop());

describe("notifications of a rollback (rollback-config.yml)", () => {
  it("reach the Slack channel's webhook and the ops team's mailbox, each with what happened", async () => {
    expect(runProcesses(runId)).toHaveLength(2); // Alertmanager and Mailpit, marked with the run's id
    await notifier.alert(rollbackAlert({ environment: "production", reason: "error_rate", run: runId, stage: "canary-10", detail: "error rate 18% > 5%", from: "erroring-1", to: "good-1", at: new Date() }));
    const received = await notifier.collect(20_000);
    const slack = received.find((r) => r.channel === "slack");
    const email = received.find((r) => r.channel === "email");
    expect(slack).toMatchObject({ to: "#deployment-alerts", text: expect.stringContaining("Rollback in production: error_rate") });
    expect(slack!.text).toContain("Deployment rolled back from erroring-1 back to good-1 in production during canary-10: error rate 18% > 5%");
    expect(email).toMatchObject({ to: "ops-team@your-org.com", text: expect.stringMatching(/^Rollback in production: error_rate — Deployment rolled back from erroring-1/) });
    expect(seen).toEqual(received);
    // One alert, one message each: Alertmanager does not repeat it within the run.
    expect(received.filter((r) => r.channel === "slack")).toHaveLength(1);
    expect(received.filter((r) => r.channel === "email")).toHaveLength(1);
  }, 60_000);
});
