import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AuditTrail } from "../../harness/audit/audit-trail.js";
import { ROOT } from "../../harness/common/paths.js";

// The audit trail shared by real processes: appends from several at once keep one chain, and a
// process killed outright (SIGKILL) in the middle of its appends leaves a log that still verifies.
const dir = mkdtempSync(join(tmpdir(), "audit-int-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A process appending `count` records (0: until killed), one at a time, each a deployment log of some size. */
function appender(file: string, name: string, count: number): ChildProcess {
  const script = `
    import { AuditTrail } from ${JSON.stringify(join(ROOT, "harness/audit/audit-trail.ts"))};
    const trail = new AuditTrail({ file: ${JSON.stringify(file)} });
    const pad = "x".repeat(2000);
    for (let i = 0; ${count} === 0 || i < ${count}; i++) {
      await trail.append({ type: i % 3 === 0 ? "approval" : "deployment", body: { by: ${JSON.stringify(name)}, i, pad } });
      if (i === 20) process.stdout.write("going\\n");
    }`;
  return spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
}

const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.once("exit", (code) => r(code))));

describe("the audit trail across processes", () => {
  it("keeps one chain when three processes append at once", async () => {
    const file = join(dir, "shared.jsonl");
    const children = ["a", "b", "c"].map((n) => appender(file, n, 60));
    expect(await Promise.all(children.map(exited))).toEqual([0, 0, 0]);
    const trail = new AuditTrail({ file });
    expect(trail.verify()).toMatchObject({ ok: true, records: 180, torn: false, head: { seq: 180 } });
    const by = trail.read().map((r) => r.body!.by);
    for (const n of ["a", "b", "c"]) expect(by.filter((b) => b === n)).toHaveLength(60);
  }, 60_000);

  it("loses at most the record being written when a process is killed in the middle of its appends", async () => {
    const file = join(dir, "killed.jsonl");
    for (let round = 0; round < 5; round++) {
      const child = appender(file, `k${round}`, 0);
      await new Promise<void>((r) => child.stdout!.on("data", (d: Buffer) => d.toString().includes("going") && r()));
      await new Promise((r) => setTimeout(r, 20 + round * 37));
      child.kill("SIGKILL");
      await exited(child);
      const v = new AuditTrail({ file }).verify();
      expect(v, readFileSync(file, "utf8").slice(-300)).toMatchObject({ ok: true });
      expect(v.records).toBeGreaterThan(20 * (round + 1));
    }
    // The next append goes on from the last whole record.
    const trail = new AuditTrail({ file });
    const before = trail.verify().head.seq;
    await trail.append({ type: "rollback", body: { reason: "after the crashes" } });
    expect(trail.verify()).toMatchObject({ ok: true, torn: false, head: { seq: before + 1 } });
  }, 120_000);
});
