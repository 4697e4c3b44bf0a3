import { describe, expect, it } from "vitest";
import type { NotifiedExpectation } from "../scenario/scenario.js";
import { evidenceOf, rollbackDecided, stamp } from "../../test/support/evidence.js";
import { judge } from "./checker.js";

const expectation = (channel: "slack" | "email", withinMs = 60_000): NotifiedExpectation => ({ id: "told", kind: "notified", channel, withinMs });
const decided = rollbackDecided(16, { stage: "shift-10", trigger: "error_rate" });
const sent = stamp(16.2, { type: "notification.sent", alertname: "DeploymentRolledBack", environment: "production", reason: "error_rate", targets: ["Slack #deployment-alerts"] });
const got = (channel: "slack" | "email", afterSeconds: number) =>
  stamp(20, { type: "notification.received", channel, to: channel === "slack" ? "#deployment-alerts" : "ops-team@your-org.com", text: "Rollback in production: error_rate", afterSeconds });

describe("notified", () => {
  it("holds when the channel's receiver had it within the bound, counted from the rollback decision", () => {
    expect(judge(expectation("slack"), evidenceOf([decided, sent, got("slack", 0.3)]))).toMatchObject({
      held: true,
      evidence: 'Slack #deployment-alerts had it 0.50 s after the rollback decision (bound 60 s): "Rollback in production: error_rate"',
    });
    // Exactly at the bound holds; a little past it does not (0.2 s to raise it + 59.8 s = 60 s).
    expect(judge(expectation("email"), evidenceOf([decided, sent, got("email", 59.8)])).held).toBe(true);
    expect(judge(expectation("email"), evidenceOf([decided, sent, got("email", 59.81)])).held).toBe(false);
  });

  it("fails with why: no rollback, no alert raised, or nothing on that channel", () => {
    expect(judge(expectation("slack"), evidenceOf([]))).toMatchObject({ held: false, evidence: "no rollback happened, so there was nothing to notify" });
    expect(judge(expectation("slack"), evidenceOf([decided])).evidence).toBe("the rollback at 16.0 s raised no alert in Alertmanager");
    expect(judge(expectation("email"), evidenceOf([decided, sent, got("slack", 0.1)])).evidence).toBe(
      "the ops team's mailbox got nothing; the alert was raised 0.20 s after the rollback decision",
    );
  });
});
