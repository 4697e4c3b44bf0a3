import type { TeardownStack } from "../cleanup/teardown.js";
import { errorMessage } from "../common/errors.js";
import { rollbackAlert } from "../notify/alertmanager-config.js";
import { Notifier } from "../notify/notifier.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Sink, Stamped } from "../timeline/events.js";

/**
 * A run whose scenario expects a notification gets the document's
 * notification path (rollback-config.yml): Alertmanager, the Slack webhook
 * and Mailpit start before the services; the rollback decision raises the
 * alert; before the expectations are judged, the receivers get up to the
 * longest `within` to have it. Both receivers' messages are events.
 */
export async function startNotifications(
  scenario: Scenario,
  o: { runId: string; logDir: string; platform: string; emit: Sink; teardown: TeardownStack; onEvent: (listener: (e: Stamped) => void) => void; signal?: AbortSignal },
): Promise<{ settle(): Promise<void> } | undefined> {
  const expected = scenario.expectations.flatMap((e) => (e.kind === "notified" ? [e] : []));
  const within = expected.map((e) => e.withinMs);
  if (within.length === 0) return undefined;
  const { slack, email } = scenario.spec.rollback.notification;
  let sentAtMs: number | undefined;
  let raising: Promise<void> | undefined;
  const notifier = new Notifier({
    runId: o.runId,
    logDir: o.logDir,
    targets: { slackChannels: slack, emails: email },
    onReceived: (r) => o.emit({ type: "notification.received", channel: r.channel, to: r.to, text: r.text, afterSeconds: Math.max(0, (r.atMs - (sentAtMs ?? r.atMs)) / 1000) }),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  o.teardown.add("stop Alertmanager and Mailpit", () => notifier.stop());
  await notifier.start();
  const environment = scenario.environment ?? `game-day-${o.platform}`;
  const versions = new Map([...scenario.versions.values()].map((v) => [v.role, v.tag]));
  o.onEvent((e) => {
    if (e.type !== "rollback.decided" || raising) return;
    const alert = rollbackAlert({ environment, reason: e.trigger, run: o.runId, stage: e.stage, detail: e.reason, from: versions.get("candidate"), to: versions.get("stable"), at: new Date() });
    o.emit({ type: "notification.sent", alertname: alert.labels.alertname, environment, reason: e.trigger, targets: [...slack.map((c) => `Slack ${c}`), ...email.map((a) => `e-mail ${a}`)] });
    sentAtMs = Date.now();
    raising = notifier.alert(alert).catch((err: unknown) => o.emit({ type: "note", level: "warn", message: `the rollback's alert could not be raised in Alertmanager: ${errorMessage(err)}` }));
  });
  return {
    async settle() {
      if (!raising || sentAtMs === undefined) return;
      await raising;
      await notifier.collect(Math.max(0, sentAtMs + Math.max(...within) - Date.now()), [...new Set(expected.map((e) => e.channel))]);
    },
  };
}
