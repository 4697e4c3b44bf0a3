import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { AuditTrail, type AuditEntry } from "../audit/audit-trail.js";
import { rollbackAlert } from "../notify/alertmanager-config.js";
import { Notifier } from "../notify/notifier.js";
import { median, type BenchFigure } from "./figures.js";

const RECORDS = 100_000;
const BATCH = 1_000;
const SINGLES = 2_000;
const VERIFY_RUNS = 5;

/**
 * The audit trail (issue 14): appending 100,000 records and verifying them,
 * records per second for each. Appends come one at a time (each with the
 * lock, one write and a sync to disk, as a run appends) for 2,000 records,
 * and in batches of 1,000 for the 100,000; every third record is an approval
 * (in the clear), the rest deployment logs (sealed). Verification reads the
 * whole file, median of 5. Target: verify >= 50,000 records/s.
 *
 * Then the notification path (rollback-config.yml): 10 rollback alerts, one
 * after the other, each raised in a real Alertmanager and timed to the
 * Slack webhook's receipt and to Mailpit's (target: <= 2 s wall each).
 */
export async function auditBench(signal: AbortSignal): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), "gameday-audit-bench-"));
  try {
    const entry = (i: number): AuditEntry => ({
      type: i % 3 === 0 ? "approval" : "deployment",
      body: i % 3 === 0 ? { release: `good-${i}`, by: `person-${i % 7}`, group: "senior-engineers" } : { release: `good-${i}`, environment: "production", strategy: "blue-green", outcome: "succeeded", durationMs: 1234 + i },
    });
    const singles = new AuditTrail({ file: join(dir, "singles.jsonl") });
    let t0 = performance.now();
    for (let i = 0; i < SINGLES; i++) {
      if (i % 100 === 0) signal.throwIfAborted();
      await singles.append(entry(i));
    }
    const singleRate = SINGLES / ((performance.now() - t0) / 1000);

    const file = join(dir, "trail.jsonl");
    const trail = new AuditTrail({ file });
    t0 = performance.now();
    for (let i = 0; i < RECORDS; i += BATCH) {
      signal.throwIfAborted();
      await trail.appendMany(Array.from({ length: BATCH }, (_, j) => entry(i + j)));
    }
    const batchRate = RECORDS / ((performance.now() - t0) / 1000);

    const times: number[] = [];
    for (let i = 0; i < VERIFY_RUNS; i++) {
      signal.throwIfAborted();
      const start = performance.now();
      const v = trail.verify();
      times.push(performance.now() - start);
      if (!v.ok || v.records !== RECORDS) throw new Error(`the bench's own trail did not verify: ${JSON.stringify(v.firstBad)}`);
    }
    const verifyRate = RECORDS / (median(times) / 1000);
    return {
      figures: [
        { name: `append one at a time (lock, write, sync), ${SINGLES} records`, value: singleRate, unit: "records/s" },
        { name: `append ${RECORDS} in batches of ${BATCH}`, value: batchRate, unit: "records/s" },
        { name: `verify ${RECORDS} records, median of ${VERIFY_RUNS}`, value: verifyRate, unit: "records/s", target: ">= 50000 records/s", met: verifyRate >= 50_000 },
        { name: "trail of 100,000 records on disk", value: statSync(file).size / 2 ** 20, unit: "MB" },
        ...(await notificationFigures(dir, signal)),
      ],
      detail: { verifyMs: times.map((t) => Math.round(t)) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ALERTS = 10;

/** Raise an alert, time it to each receiver; ALERTS times. */
async function notificationFigures(dir: string, signal: AbortSignal): Promise<BenchFigure[]> {
  const runId = `bench-notify-${process.pid}`;
  const seen: Array<{ channel: string; atMs: number; text: string }> = [];
  const notifier = new Notifier({ runId, logDir: dir, targets: { slackChannels: ["#deployment-alerts"], emails: ["ops-team@your-org.com"] }, onReceived: (r) => seen.push(r), signal });
  const slack: number[] = [];
  const email: number[] = [];
  try {
    await notifier.start();
    for (let i = 0; i < ALERTS; i++) {
      signal.throwIfAborted();
      const run = `${runId}-${i}`;
      const t0 = Date.now();
      await notifier.alert(rollbackAlert({ environment: "production", reason: "error_rate", run, stage: "canary-10", detail: "bench", from: "erroring-1", to: "good-1", at: new Date() }));
      for (;;) {
        await notifier.collect(0);
        const mine = seen.filter((r) => r.text.includes(`(run ${run})`));
        const s = mine.find((r) => r.channel === "slack");
        const e = mine.find((r) => r.channel === "email");
        if (s && e) {
          slack.push((s.atMs - t0) / 1000);
          email.push((e.atMs - t0) / 1000);
          break;
        }
        if (Date.now() - t0 > 30_000) throw new Error(`alert ${i} reached ${s ? "" : "no webhook "}${e ? "" : "no mailbox "}within 30 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  } finally {
    await notifier.stop();
  }
  const max = (xs: number[]) => Math.max(...xs);
  return [
    { name: `rollback alert to the Slack webhook, median of ${ALERTS}`, value: median(slack), unit: "s", target: "<= 2 s", met: max(slack) <= 2 },
    { name: `rollback alert to the Slack webhook, slowest of ${ALERTS}`, value: max(slack), unit: "s" },
    { name: `rollback alert to the mail in Mailpit, median of ${ALERTS}`, value: median(email), unit: "s", target: "<= 2 s", met: max(email) <= 2 },
    { name: `rollback alert to the mail in Mailpit, slowest of ${ALERTS}`, value: max(email), unit: "s" },
  ];
}
