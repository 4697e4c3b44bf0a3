import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { TeardownStack } from "../cleanup/teardown.js";
import { ImageBuilder } from "../images/builder.js";
import { PLATFORMS, type PlatformName } from "../model/platform-name.js";
import { DockerPlatform } from "../platforms/docker/docker-platform.js";
import type { KindCluster } from "../platforms/kind/cluster.js";
import { KindPlatform } from "../platforms/kind/kind-platform.js";
import type { Platform, PlatformContext } from "../platforms/platform.js";
import { performAction } from "./action.js";
import { ACTIONS, ACTION_TYPES, actionType } from "./registry.js";

/** Each platform as constructed for a run, without starting anything (no Docker, no cluster). */
function platforms(): Record<PlatformName, Platform> {
  const ctx: PlatformContext = { runId: "test-registry", logDir: "/nonexistent", emit: () => undefined, teardown: new TeardownStack(), images: new ImageBuilder({ pull: false }), signal: new AbortController().signal };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:1", skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  const cluster = { kubeConfig, nodePorts: [] } as unknown as KindCluster;
  return { docker: new DockerPlatform(ctx), kind: new KindPlatform(ctx, { cluster, scale: 1 }) };
}

describe("the action registry", () => {
  it("names each action once, and finds it by type", () => {
    expect(new Set(ACTION_TYPES).size).toBe(ACTIONS.length);
    for (const a of ACTIONS) expect(actionType(a.type)).toBe(a);
    expect(actionType("no-such-action")).toBeUndefined();
  });

  it("lists for each action exactly the platforms that implement its operation", () => {
    const all = platforms();
    for (const a of ACTIONS) {
      const implementing = PLATFORMS.filter((p) => typeof all[p].operations[a.operation] === "function");
      expect([...a.platforms].sort(), `${a.type} (${a.operation})`).toEqual(implementing.sort());
    }
  });

  it("validates an action's mapping with its own schema", () => {
    expect(actionType("rollout")!.schema.safeParse({ type: "rollout", role: "stable", tag: "good-2" }).success).toBe(true);
    expect(actionType("rollout")!.schema.safeParse({ type: "rollout", role: "stable" }).success).toBe(false);
    expect(actionType("delete-pod")!.schema.safeParse({ type: "delete-pod", role: "stable", extra: 1 }).success).toBe(false);
  });

  it("refuses an action on a platform without its operation, naming both", async () => {
    const bare: Platform = { ...platforms().docker, name: "docker", operations: {} } as Platform;
    const refused = performAction(actionType("rollout")!, { type: "rollout", role: "stable", tag: "good-2" } as never, bare);
    await expect(refused).rejects.toThrow(/rollout action is not implemented on the docker platform/);
    await expect(refused).rejects.toMatchObject({ code: "USAGE", hint: "run the scenario with --platform kind or --platform docker" });
  });
});
