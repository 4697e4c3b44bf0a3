import type { Expectation } from "../scenario/scenario.js";
import type { EventOf } from "../timeline/events.js";
import type { Evidence, ExpectationKind, Verdict } from "./evidence.js";

const CHANNEL = { slack: "the Slack webhook", email: "the ops team's mailbox" } as const;

/** The rollback's alert reached the channel's receiver within the bound, wall time from the decision. */
function judgeNotified(e: Extract<Expectation, { kind: "notified" }>, evidence: Evidence): Verdict {
  const decided = evidence.events.find((ev) => ev.type === "rollback.decided");
  if (!decided) return { held: false, evidence: "no rollback happened, so there was nothing to notify" };
  const sent = evidence.events.find((ev) => ev.type === "notification.sent");
  if (!sent) return { held: false, evidence: `the rollback at ${decided.t.toFixed(1)} s raised no alert in Alertmanager` };
  const got = evidence.events.filter((ev): ev is typeof ev & EventOf<"notification.received"> => ev.type === "notification.received" && ev.channel === e.channel);
  const first = got[0];
  if (!first) return { held: false, evidence: `${CHANNEL[e.channel]} got nothing; the alert was raised ${(sent.t - decided.t).toFixed(2)} s after the rollback decision` };
  // The receipt's own time: the alert's raising plus what the receiver measured from there.
  const after = sent.t - decided.t + first.afterSeconds;
  const held = after * 1000 <= e.withinMs;
  return {
    held,
    evidence: `${e.channel === "slack" ? `Slack ${first.to}` : `e-mail to ${first.to}`} had it ${after.toFixed(2)} s after the rollback decision (bound ${e.withinMs / 1000} s${got.length > 1 ? `; ${got.length} messages in all` : ""}): "${first.text}"`,
  };
}

export const notified = {
  describe: (e) => `the rollback is announced to ${CHANNEL[e.channel]} within ${e.withinMs / 1000} s (rollback-config.yml)`,
  judge: judgeNotified,
} satisfies ExpectationKind<"notified">;
