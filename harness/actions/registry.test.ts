import { describe, expect, it } from "vitest";
import { constructedPlatforms } from "../../test/support/platforms.js";
import { PLATFORMS } from "../model/platform-name.js";
import type { Platform } from "../platforms/platform.js";
import { performAction } from "./action.js";
import { ACTIONS, ACTION_TYPES, actionType } from "./registry.js";


describe("the action registry", () => {
  it("names each action once, and finds it by type", () => {
    expect(new Set(ACTION_TYPES).size).toBe(ACTIONS.length);
    for (const a of ACTIONS) expect(actionType(a.type)).toBe(a);
    expect(actionType("no-such-action")).toBeUndefined();
  });

  it("lists for each action exactly the platforms that implement its operation", () => {
    const all = constructedPlatforms("test-registry");
    for (const a of ACTIONS) {
      const operation = a.operation;
      if (!operation) continue;
      const implementing = PLATFORMS.filter((p) => typeof all[p].operations[operation] === "function");
      expect([...a.platforms].sort(), `${a.type} (${a.operation})`).toEqual(implementing.sort());
    }
  });

  it("validates an action's mapping with its own schema", () => {
    expect(actionType("rollout")!.schema.safeParse({ type: "rollout", role: "stable", tag: "good-2" }).success).toBe(true);
    expect(actionType("rollout")!.schema.safeParse({ type: "rollout", role: "stable" }).success).toBe(false);
    expect(actionType("delete-pod")!.schema.safeParse({ type: "delete-pod", role: "stable", extra: 1 }).success).toBe(false);
  });

  it("refuses an action on a platform without its operation, naming both", async () => {
    const bare: Platform = { ...constructedPlatforms("test-registry").docker, name: "docker", operations: {} } as Platform;
    const refused = performAction(actionType("rollout")!, { type: "rollout", role: "stable", tag: "good-2" } as never, { platform: bare, services: new Map() });
    await expect(refused).rejects.toThrow(/rollout action is not implemented on the docker platform/);
    await expect(refused).rejects.toMatchObject({ code: "USAGE", hint: "run the scenario with --platform kind or --platform docker or --platform kubernetes" });
  });
});
