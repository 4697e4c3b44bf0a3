import { describe, expect, it } from "vitest";
import { TeardownStack } from "./teardown.js";

describe("TeardownStack", () => {
  it("runs teardowns last first, each once", async () => {
    const stack = new TeardownStack();
    const ran: string[] = [];
    stack.add("network", () => {
      ran.push("network");
    });
    stack.add("database", async () => {
      await Promise.resolve();
      ran.push("database");
    });
    stack.add("app", () => {
      ran.push("app");
    });
    expect(stack.size).toBe(3);
    const failures = await stack.runAll();
    expect(failures).toEqual([]);
    expect(ran).toEqual(["app", "database", "network"]);
    expect(stack.size).toBe(0);
  });

  it("waits for an async teardown before starting the next", async () => {
    const stack = new TeardownStack();
    const log: string[] = [];
    stack.add("first registered", () => {
      log.push("first registered");
    });
    stack.add("slow", async () => {
      log.push("slow start");
      await new Promise((r) => setTimeout(r, 5));
      log.push("slow end");
    });
    await stack.runAll();
    expect(log).toEqual(["slow start", "slow end", "first registered"]);
  });

  it("continues after a failing teardown and reports every failure", async () => {
    const stack = new TeardownStack();
    const ran: string[] = [];
    stack.add("a", () => {
      ran.push("a");
    });
    stack.add("b", async () => {
      ran.push("b");
      throw new Error("container is gone");
    });
    stack.add("c", () => {
      ran.push("c");
      throw "plain string";
    });
    stack.add("d", () => {
      ran.push("d");
    });
    const failures = await stack.runAll();
    expect(ran).toEqual(["d", "c", "b", "a"]);
    expect(failures).toEqual([
      { title: "c", error: "plain string" },
      { title: "b", error: "container is gone" },
    ]);
  });

  it("does not rerun teardowns when runAll is called twice", async () => {
    const stack = new TeardownStack();
    let runs = 0;
    stack.add("once", async () => {
      runs++;
    });
    await stack.runAll();
    const again = await stack.runAll();
    expect(runs).toBe(1);
    expect(again).toEqual([]);
  });

  it("shares one run between concurrent calls", async () => {
    const stack = new TeardownStack();
    let runs = 0;
    stack.add("once", async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 5));
      throw new Error("boom");
    });
    const [a, b] = await Promise.all([stack.runAll(), stack.runAll()]);
    expect(runs).toBe(1);
    expect(a).toEqual([{ title: "once", error: "boom" }]);
    expect(b).toBe(a);
  });

  it("runs teardowns added after a finished run on the next call", async () => {
    const stack = new TeardownStack();
    const ran: string[] = [];
    stack.add("first", async () => {
      ran.push("first");
    });
    await stack.runAll();
    stack.add("second", async () => {
      ran.push("second");
    });
    await stack.runAll();
    expect(ran).toEqual(["first", "second"]);
  });

  it("runs later teardowns even when an earlier run had nothing to do or only synchronous work", async () => {
    const stack = new TeardownStack();
    expect(await stack.runAll()).toEqual([]);
    const ran: string[] = [];
    stack.add("sync failure", () => {
      ran.push("sync failure");
      throw new Error("sync");
    });
    expect(await stack.runAll()).toEqual([{ title: "sync failure", error: "sync" }]);
    stack.add("late", () => {
      ran.push("late");
    });
    expect(await stack.runAll()).toEqual([]);
    expect(ran).toEqual(["sync failure", "late"]);
  });
});
