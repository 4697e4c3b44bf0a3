import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { alertmanagerConfig, rollbackAlert } from "./alertmanager-config.js";

describe("Alertmanager's configuration for a run", () => {
  it("routes at once to the document's Slack channel and e-mail addresses, both delivered on this machine", () => {
    const config = parse(alertmanagerConfig({ slackChannels: ["#deployment-alerts"], emails: ["ops-team@your-org.com"] }, { slackWebhookUrl: "http://127.0.0.1:4000/services/gameday", smtp: "127.0.0.1:4001" }));
    expect(config.route).toMatchObject({ receiver: "deployment-alerts", group_wait: "0s" });
    const [receiver] = config.receivers;
    expect(receiver.slack_configs).toEqual([expect.objectContaining({ api_url: "http://127.0.0.1:4000/services/gameday", channel: "#deployment-alerts", send_resolved: false })]);
    expect(receiver.email_configs).toEqual([expect.objectContaining({ to: "ops-team@your-org.com", smarthost: "127.0.0.1:4001", require_tls: false })]);
  });

  it("describes the rollback: where, why, which versions, which run", () => {
    const a = rollbackAlert({ environment: "production", reason: "error_rate", run: "r1", stage: "canary-10", detail: "error rate 20% > 5%", from: "erroring-1", to: "good-1", at: new Date("2026-12-02T10:00:00Z") });
    expect(a).toEqual({
      labels: { alertname: "DeploymentRolledBack", environment: "production", reason: "error_rate", run: "r1", stage: "canary-10" },
      annotations: { summary: "Rollback in production: error_rate", description: "Deployment rolled back from erroring-1 back to good-1 in production during canary-10: error rate 20% > 5% (run r1)" },
      startsAt: "2026-12-02T10:00:00.000Z",
    });
  });
});
