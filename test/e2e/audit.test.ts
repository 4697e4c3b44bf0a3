import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, readResults } from "./cli.js";

// The audit trail through the CLI: a run appends its deployment and its rollback; npm run audit verifies,
// shows and prunes it; npm run approve records approvals; an edit to the file is found and named.
// A trail of its own for each attempt (the test may be retried).
let env: { GAMEDAY_AUDIT_LOG: string };
const gameday = (args: string[]) => cli(args, { env });

describe("the audit trail through the CLI", () => {
  it("records canary-fail's rollback and deployment, serves them as metrics, verifies, and names the first edited record", async () => {
    env = { GAMEDAY_AUDIT_LOG: join(mkdtempSync(join(tmpdir(), "gameday-e2e-audit-")), "trail.jsonl") };
    const run = await gameday(["scenario", "canary-fail"]);
    expect(run.code, run.stdout.slice(-2000)).toBe(0);
    const results = readResults(run.runDir!) as ReturnType<typeof readResults> & { audit: { records: number[]; head: { seq: number }; file: string } };
    expect(results.audit).toMatchObject({ file: env.GAMEDAY_AUDIT_LOG, records: [1, 2], head: { seq: 2 } });
    // The report shows the run in the trail and its environment's delivery so far: one deployment, rolled back.
    expect((results as unknown as { audit: { dora: unknown } }).audit.dora).toEqual({ environment: "production", deployments: 1, deploymentsPerDay: 1, leadTimeHours: null, changeFailureRate: 1, timeToRestoreHours: null });
    const report = readFileSync(join(run.runDir!, "report.html"), "utf8");
    expect(report).toContain("Records #1, #2 appended");
    expect(report).toMatch(/change failure rate[^<]*<\/td><td>100%/);
    const metrics = readFileSync(join(run.runDir!, "metrics.prom"), "utf8");
    expect(metrics).toContain('rollback_count{environment="production",reason="error_rate"} 1');
    expect(metrics).toContain('deployment_success_rate{environment="production"} 0');
    expect(metrics).toMatch(/deployment_duration_count\{environment="production",version="erroring-1"\} 1/);

    const shown = await gameday(["audit", "show", "-o", "json"]);
    const records = JSON.parse(shown.stdout) as Array<{ seq: number; type: string; sealed: boolean; body: Record<string, unknown> }>;
    expect(records.map((r) => [r.seq, r.type, r.sealed])).toEqual([
      [1, "rollback", true],
      [2, "deployment", true],
    ]);
    expect(records[0]!.body).toMatchObject({ run: results.runId, reason: "error_rate", stage: "canary-10", from: "erroring-1", to: "good-1" });
    expect(records[1]!.body).toMatchObject({ run: results.runId, strategy: "canary", outcome: "rolled-back", version: "erroring-1" });
    // Sealed at rest: the run id is not in the file in the clear.
    expect(readFileSync(env.GAMEDAY_AUDIT_LOG, "utf8")).not.toContain(results.runId);

    const approved = await gameday(["approve", "good-2", "--as", "ana", "--group", "security-team", "--comment", "reviewed"]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/^recorded: approval 3 of release good-2 for production by ana \(security-team\)/);
    expect(approved.stdout).toContain("good-2 has approvals from 1 of the 2 people production requires");
    const outsider = await gameday(["approve", "good-2", "--as", "eve", "--group", "interns"]);
    expect(outsider.stdout).toContain("warning: interns is not one of the approver groups for production (senior-engineers, security-team): the gate will not count it");
    const missing = await gameday(["approve", "good-2", "--as", "bo"]);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining("error USAGE: an approval says who gives it: --group is missing") });

    const verified = await gameday(["audit", "verify"]);
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toMatch(/4 record\(s\) verify, head seq 4 /);

    // Someone edits the approval: verify names it and exits 1; prune refuses.
    const file = env.GAMEDAY_AUDIT_LOG;
    const original = readFileSync(file, "utf8");
    writeFileSync(file, original.replace('"by":"ana"', '"by":"mallory"'));
    const tampered = await gameday(["audit", "verify"]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain("does NOT verify: line 3 (seq 3): its content does not match its hash: the record was edited; the 2 record(s) before it verify");
    const refused = await gameday(["audit", "prune"]);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining("error AUDIT_INVALID:") });
    writeFileSync(file, original);

    // Six years on, everything is past its retention: the trail keeps its chain and verifies.
    const pruned = await gameday(["audit", "prune", "--now", new Date(Date.now() + 6 * 365 * 86_400_000).toISOString()]);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/: 4 record\(s\) past their retention pruned \(deployment_logs 730 days, approval_records 1825 days/);
    expect((await gameday(["audit", "verify"])).code).toBe(0);
  }, 180_000);
});
