import { stringify } from "yaml";

/** Where rollback-config.yml sends a rollback's notification. */
export interface NotificationTargets {
  /** The Slack channels (["#deployment-alerts"]). */
  slackChannels: readonly string[];
  /** The e-mail addresses (["ops-team@your-org.com"]). */
  emails: readonly string[];
}

/** The local stand-ins for Slack and the mail relay: nothing leaves the machine. */
export interface LocalReceivers {
  /** A Slack-compatible incoming webhook the harness runs (http://127.0.0.1:port/...). */
  slackWebhookUrl: string;
  /** Mailpit's SMTP address (127.0.0.1:port). */
  smtp: string;
}

/** The alert a rollback raises, as Alertmanager's API takes it. */
export interface RollbackAlert {
  labels: { alertname: "DeploymentRolledBack"; environment: string; reason: string; run: string; stage: string };
  annotations: { summary: string; description: string };
  startsAt: string;
}

/**
 * Alertmanager's configuration for a run: one route, sent at once (no group
 * wait: a rollback is news now), to one receiver with the document's Slack
 * channel and e-mail addresses, both delivered on this machine.
 */
export function alertmanagerConfig(targets: NotificationTargets, receivers: LocalReceivers): string {
  return stringify({
    global: { resolve_timeout: "5m" },
    route: { receiver: "deployment-alerts", group_by: ["alertname", "run"], group_wait: "0s", group_interval: "1s", repeat_interval: "24h" },
    receivers: [
      {
        name: "deployment-alerts",
        slack_configs: targets.slackChannels.map((channel) => ({
          api_url: receivers.slackWebhookUrl,
          channel,
          send_resolved: false,
          title: "{{ .CommonAnnotations.summary }}",
          text: "{{ range .Alerts }}{{ .Annotations.description }}{{ end }}",
        })),
        email_configs: targets.emails.map((to) => ({
          to,
          from: "deploy-gameday@localhost",
          smarthost: receivers.smtp,
          require_tls: false,
          send_resolved: false,
          headers: { Subject: "{{ .CommonAnnotations.summary }}" },
          text: "{{ range .Alerts }}{{ .Annotations.description }}{{ end }}",
        })),
      },
    ],
  });
}

export function rollbackAlert(o: { environment: string; reason: string; run: string; stage: string; detail: string; from: string | undefined; to: string | undefined; at: Date }): RollbackAlert {
  const versions = o.from && o.to ? ` from ${o.from} back to ${o.to}` : "";
  return {
    labels: { alertname: "DeploymentRolledBack", environment: o.environment, reason: o.reason, run: o.run, stage: o.stage },
    annotations: {
      summary: `Rollback in ${o.environment}: ${o.reason}`,
      description: `Deployment rolled back${versions} in ${o.environment} during ${o.stage}: ${o.detail} (run ${o.run})`,
    },
    startsAt: o.at.toISOString(),
  };
}
