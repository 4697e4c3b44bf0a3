import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MachineBudget } from "./budget.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "budget-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const DEAD = 2 ** 22 + 12345;
const until = async (f: () => boolean) => {
  for (let i = 0; i < 400 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(f()).toBe(true);
};
const alive = (owner: string) => Number(owner.split("-")[0]) !== DEAD;

describe("MachineBudget", () => {
  it("lets a second run in beside the first when both fit, and lists who is beside it", async () => {
    const budget = new MachineBudget({ dir, cores: 2, alive });
    const a = await budget.acquire({ runId: "a", scenario: "canary-fail", cores: 0.8, wait: true });
    const b = await budget.acquire({ runId: "b", scenario: "canary-fail", cores: 1.2, wait: true });
    expect(a.beside).toEqual([]);
    expect(b.beside.map((c) => c.runId)).toEqual(["a"]);
    expect(b.fit).toBe(true);
    a.release();
    b.release();
    expect(readdirSync(join(dir, "claims"))).toEqual([]);
  });

  it("makes a run that does not fit wait, says what for, and lets it in when the share is given back", async () => {
    const budget = new MachineBudget({ dir, cores: 2, alive, pollMs: 10 });
    const a = await budget.acquire({ runId: "a", scenario: "canary-fail", cores: 1.2, wait: true });
    const messages: string[] = [];
    let admitted = false;
    const b = budget.acquire({ runId: "b", scenario: "canary-success", cores: 1.2, wait: true, onWait: (m) => messages.push(m) }).then((x) => ((admitted = true), x));
    await new Promise((r) => setTimeout(r, 60));
    expect(admitted).toBe(false);
    expect(messages).toEqual([`waiting for 1.2 of the machine's 2 cores: canary-fail (run a, pid ${process.pid}) holds 1.2; 0.8 free (--no-wait starts at once, at your own risk)`]);
    a.release();
    const admission = await b;
    expect(admission.waitedMs).toBeGreaterThan(0);
    expect(admission.beside).toEqual([]);
    admission.release();
  });

  it("lets runs in in the order they began waiting: a later run waits behind one queued before it, even where it would fit", async () => {
    const budget = new MachineBudget({ dir, cores: 2, alive, pollMs: 5 });
    const a = await budget.acquire({ runId: "a", scenario: "canary-fail", cores: 1.5, wait: true });
    const order: string[] = [];
    const b = budget.acquire({ runId: "b", scenario: "bluegreen-fail", cores: 1, wait: true }).then((x) => (order.push("b"), x));
    await until(() => budget.waiting().length === 1);
    const messages: string[] = [];
    const c = budget.acquire({ runId: "c", scenario: "health-endpoints", cores: 0.4, wait: true, onWait: (m) => messages.push(m) }).then((x) => (order.push("c"), x));
    await until(() => budget.waiting().length === 2 && messages.length > 0);
    expect(budget.waiting().map((w) => w.runId)).toEqual(["b", "c"]);
    expect(messages[0]).toContain("before it in the queue: bluegreen-fail (run b)");
    expect(order).toEqual([]);
    a.release();
    const [bb, cc] = await Promise.all([b, c]);
    expect(order).toEqual(["b", "c"]);
    expect(cc.beside.map((x) => x.runId)).toEqual(["b"]);
    expect(readdirSync(join(dir, "queue"))).toEqual([]);
    bb.release();
    cc.release();
  });

  it("does not let a command that gives its share back and asks again at once starve a run waiting for it", async () => {
    const budget = new MachineBudget({ dir, cores: 2, alive, pollMs: 5 });
    const a1 = await budget.acquire({ runId: "a1", scenario: "canary-fail", cores: 1.5, wait: true });
    const order: string[] = [];
    const b = budget.acquire({ runId: "b", scenario: "canary-success", cores: 1.5, wait: true }).then((x) => (order.push("b"), x));
    await until(() => budget.waiting().length === 1);
    a1.release();
    const a2 = budget.acquire({ runId: "a2", scenario: "canary-fail", cores: 1.5, wait: true }).then((x) => (order.push("a2"), x));
    const bb = await b;
    expect(order).toEqual(["b"]);
    bb.release();
    const aa = await a2;
    expect(order).toEqual(["b", "a2"]);
    aa.release();
  });

  it("starts at once without waiting, and says it did not fit", async () => {
    const budget = new MachineBudget({ dir, cores: 2, alive });
    const a = await budget.acquire({ runId: "a", scenario: "canary-fail", cores: 1.2, wait: true });
    const b = await budget.acquire({ runId: "b", scenario: "canary-fail", cores: 1.2, wait: false });
    expect(b.fit).toBe(false);
    expect(b.beside.map((c) => c.runId)).toEqual(["a"]);
    a.release();
    b.release();
  });

  it("runs a run bigger than the machine alone rather than never", async () => {
    const budget = new MachineBudget({ dir, cores: 2, alive });
    const big = await budget.acquire({ runId: "big", scenario: "huge", cores: 5, wait: true });
    expect(big.fit).toBe(true);
    big.release();
  });

  it("ignores and removes the claim of a run whose process is gone, and breaks its lock", async () => {
    mkdirSync(join(dir, "claims"), { recursive: true });
    writeFileSync(join(dir, "claims", "crashed.json"), JSON.stringify({ runId: "crashed", scenario: "canary-fail", pid: DEAD, cores: 2, since: 0 }));
    mkdirSync(join(dir, "lock"));
    writeFileSync(join(dir, "lock", "pid"), String(DEAD));
    const budget = new MachineBudget({ dir, cores: 2, alive });
    const a = await budget.acquire({ runId: "a", scenario: "canary-fail", cores: 1.5, wait: true });
    expect(a.beside).toEqual([]);
    expect(readdirSync(join(dir, "claims"))).toEqual(["a.json"]);
    a.release();
  });

  it("does not let a stranger that got a dead run's pid hold its claim or its lock", async () => {
    // This process stands for the stranger: the pid is alive, but its start time is not the one recorded.
    mkdirSync(join(dir, "claims"), { recursive: true });
    writeFileSync(join(dir, "claims", "crashed.json"), JSON.stringify({ runId: "crashed", scenario: "canary-fail", pid: process.pid, owner: `${process.pid}-1`, cores: 2, since: 0 }));
    mkdirSync(join(dir, "lock"));
    writeFileSync(join(dir, "lock", "pid"), `${process.pid}-1`);
    const budget = new MachineBudget({ dir, cores: 2 });
    const a = await budget.acquire({ runId: "a", scenario: "canary-fail", cores: 1.5, wait: true });
    expect(a.beside).toEqual([]);
    expect(readdirSync(join(dir, "claims"))).toEqual(["a.json"]);
    // The run's own claim, with this process's real identity, holds.
    expect(budget.holders().map((c) => c.runId)).toEqual(["a"]);
    a.release();
  });

  it("stops waiting when the run is interrupted", async () => {
    const budget = new MachineBudget({ dir, cores: 2, alive, pollMs: 10 });
    const a = await budget.acquire({ runId: "a", scenario: "canary-fail", cores: 2, wait: true });
    const abort = new AbortController();
    const b = budget.acquire({ runId: "b", scenario: "canary-fail", cores: 1, wait: true, signal: abort.signal });
    abort.abort(new Error("interrupted"));
    await expect(b).rejects.toThrow("interrupted");
    a.release();
  });
});
