import { describe, expect, it } from "vitest";
import { parseComparison } from "../document/comparison.js";
import { DeploymentHistory } from "./deployment-history.js";

const TRIGGER = parseComparison(">5%")!;

/** `n` answers of `version` sent from `at` on, one ms apart, `failed` of them 503. */
function load(h: DeploymentHistory, version: string, at: number, n: number, failed = 0): void {
  for (let i = 0; i < n; i++) h.see({ at: at + i, latencyMs: 1, code: i < failed ? 503 : 200, version });
}

describe("the deployment history's last known good version", () => {
  it("is the newest earlier version that served enough requests without breaching the rollback trigger", () => {
    const h = new DeploymentHistory();
    h.deployed("stable", "good-1", 0);
    load(h, "good-1", 0, 100, 1);
    h.deployed("stable", "good-2", 1000);
    load(h, "good-2", 1000, 100, 5);
    h.deployed("stable", "erroring-1", 2000);
    load(h, "erroring-1", 2000, 100, 40);
    // good-2 failed 5%: the trigger is ">5%", so 5% exactly has not breached it.
    expect(h.lastKnownGood("stable", TRIGGER, 50)).toEqual({ version: "good-2", requests: 100, errorRate: 0.05 });
  });

  it("passes over a version that breached the trigger or served too little to say, and never names the current one", () => {
    const h = new DeploymentHistory();
    h.deployed("stable", "good-1", 0);
    load(h, "good-1", 0, 100);
    h.deployed("stable", "slow-1", 1000);
    load(h, "slow-1", 1000, 10);
    h.deployed("stable", "erroring-1", 2000);
    load(h, "erroring-1", 2000, 100, 6);
    h.deployed("stable", "crashing-1", 3000);
    load(h, "crashing-1", 3000, 100);
    expect(h.lastKnownGood("stable", TRIGGER, 50)?.version).toBe("good-1");
    expect(h.lastKnownGood("candidate", TRIGGER, 50)).toBeUndefined();
  });

  it("counts an answer for the version live when it was sent, and ignores answers without a version", () => {
    const h = new DeploymentHistory();
    h.deployed("stable", "good-1", 0);
    h.deployed("stable", "erroring-1", 1000);
    h.deployed("stable", "good-1", 2000);
    // An answer of good-1 sent while erroring-1 was the version (a pod on its way out) counts nowhere.
    h.see({ at: 1500, latencyMs: 1, code: 200, version: "good-1" });
    h.see({ at: 500, latencyMs: 1, code: 0 });
    load(h, "good-1", 2000, 3, 1);
    expect(h.of("stable").map((v) => [v.version, v.requests, v.failures])).toEqual([
      ["good-1", 0, 0],
      ["erroring-1", 0, 0],
      ["good-1", 3, 1],
    ]);
    // Deploying the version already live changes nothing.
    h.deployed("stable", "good-1", 3000);
    expect(h.of("stable")).toHaveLength(3);
  });
});
