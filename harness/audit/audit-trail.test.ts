import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditTrail } from "./audit-trail.js";

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "audit-"));
  file = join(dir, "trail.jsonl");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const day = (d: number) => new Date(Date.UTC(2024, 0, 1) + d * 86_400_000);
const RETENTION = { deployment_logs: 730, approval_records: 1825 };

describe("AuditTrail", () => {
  it("appends records that verify, seals deployment logs at rest and opens them with its key", async () => {
    const trail = new AuditTrail({ file });
    await trail.append({ type: "deployment", body: { release: "good-2", environment: "production", outcome: "succeeded" } });
    await trail.append({ type: "approval", body: { release: "good-2", by: "ana", group: "security-team" } });
    expect(trail.verify()).toMatchObject({ ok: true, records: 2, head: { seq: 2 } });
    const raw = readFileSync(file, "utf8");
    expect(raw).not.toContain("good-2\",\"environment"); // the deployment log is not in the clear
    expect(raw).toContain('"by":"ana"'); // approval records are (tamper-proof, not secret)
    expect(trail.read().map((r) => [r.seq, r.type, r.sealed, r.body])).toEqual([
      [1, "deployment", true, { release: "good-2", environment: "production", outcome: "succeeded" }],
      [2, "approval", false, { release: "good-2", by: "ana", group: "security-team" }],
    ]);
    expect(statSync(join(dir, "key")).mode & 0o777).toBe(0o600);
    // Another trail object on the same file (another process) goes on from the same chain.
    await new AuditTrail({ file }).append({ type: "rollback", body: { reason: "error_rate" } });
    await trail.append({ type: "promotion", body: { from: "staging", to: "production" } });
    expect(trail.verify()).toMatchObject({ ok: true, records: 4 });
  });

  it("cuts off a half-written last record before the next append, and the log verifies throughout", async () => {
    const trail = new AuditTrail({ file });
    await trail.appendMany([1, 2, 3].map((i) => ({ type: "deployment" as const, body: { i } })));
    appendFileSync(file, '{"v":1,"seq":4,"at":"2026-');
    expect(trail.verify()).toMatchObject({ ok: true, records: 3, torn: true });
    await new AuditTrail({ file }).append({ type: "deployment", body: { i: 4 } });
    expect(trail.verify()).toMatchObject({ ok: true, records: 4, torn: false, head: { seq: 4 } });
  });

  it("detects records cut from its end through the head file", async () => {
    const trail = new AuditTrail({ file });
    await trail.appendMany([1, 2, 3].map((i) => ({ type: "approval" as const, body: { i } })));
    const lines = readFileSync(file, "utf8").split("\n");
    writeFileSync(file, lines.slice(0, 2).join("\n") + "\n");
    expect(trail.verify()).toMatchObject({ ok: false, firstBad: { reason: expect.stringContaining("ends at seq 2, but seq 3 was written") } });
  });

  it("prunes by the document's retention: deployment logs after 2 years, approvals after 5, never a younger record; the chain still verifies", async () => {
    const trail = new AuditTrail({ file });
    await trail.appendMany([
      { type: "deployment", body: { n: 1 }, at: day(0) },
      { type: "approval", body: { n: 2 }, at: day(1) },
      { type: "deployment", body: { n: 3 }, at: day(2) },
      { type: "deployment", body: { n: 4 }, at: day(800) },
      { type: "approval", body: { n: 5 }, at: day(801) },
    ]);
    // 2 years and a bit after day 2: records 1 and 3 are past 730 days; the approval (day 1) is not past 1825.
    const first = await trail.prune(day(2 + 731), RETENTION);
    expect(first.dropped).toBe(2);
    expect(trail.verify()).toMatchObject({ ok: true });
    expect(trail.read().map((r) => [r.seq, r.type, r.pruned])).toEqual([
      [1, "checkpoint", false],
      [2, "approval", false],
      [3, "deployment", true],
      [4, "deployment", false],
      [5, "approval", false],
      [6, "prune", false],
    ]);
    // 5 years on: everything up to the last prune folds into one checkpoint; the young approval stays.
    await trail.append({ type: "deployment", body: { n: 7 }, at: day(1900) });
    const second = await trail.prune(day(1830), RETENTION);
    expect(second.dropped).toBe(2); // the approval of day 1 and the deployment of day 800; record 3 was a tombstone already
    expect(trail.read().map((r) => [r.seq, r.type, r.pruned])).toEqual([
      [4, "checkpoint", false],
      [5, "approval", false],
      [6, "prune", false],
      [7, "deployment", false],
      [8, "prune", false],
    ]);
    expect(trail.verify()).toMatchObject({ ok: true, head: { seq: 8 } });
    await trail.append({ type: "rollback", body: { reason: "error_rate" } });
    expect(trail.verify()).toMatchObject({ ok: true, head: { seq: 9 } });
  });

  it("refuses to prune a log that does not verify", async () => {
    const trail = new AuditTrail({ file });
    await trail.appendMany([{ type: "approval", body: { by: "ana" } }, { type: "approval", body: { by: "bo" } }]);
    writeFileSync(file, readFileSync(file, "utf8").replace('"by":"ana"', '"by":"eve"'));
    await expect(trail.prune(new Date(), RETENTION)).rejects.toMatchObject({ code: "AUDIT_INVALID", message: expect.stringContaining("line 1: its content does not match its hash") });
  });

  it("does not open sealed records with another key", async () => {
    await new AuditTrail({ file }).append({ type: "deployment", body: { n: 1 } });
    writeFileSync(join(dir, "other"), Buffer.alloc(32, 7).toString("base64"));
    expect(() => new AuditTrail({ file, keyFile: join(dir, "other") }).read()).toThrow(expect.objectContaining({ code: "AUDIT_INVALID" }));
    // It still verifies: the chain covers the sealed text, not the content.
    expect(new AuditTrail({ file, keyFile: join(dir, "other") }).verify().ok).toBe(true);
  });
});
