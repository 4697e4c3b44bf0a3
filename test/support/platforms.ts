import { KubeConfig } from "@kubernetes/client-node";
import { TeardownStack } from "../../harness/cleanup/teardown.js";
import { ImageBuilder } from "../../harness/images/builder.js";
import type { PlatformName } from "../../harness/model/platform-name.js";
import { DockerPlatform } from "../../harness/platforms/docker/docker-platform.js";
import type { KindCluster } from "../../harness/platforms/kind/cluster.js";
import { KindPlatform } from "../../harness/platforms/kind/kind-platform.js";
import type { Platform, PlatformContext } from "../../harness/platforms/platform.js";

/**
 * Each platform as constructed for a run, without starting anything (no
 * Docker, no cluster: the kind platform gets a kubeconfig that points
 * nowhere; the kubernetes platform is the same class without a kind cluster): what the registries' tests compare their platform lists with.
 */
export function constructedPlatforms(runId = "test-registry"): Record<PlatformName, Platform> {
  const ctx: PlatformContext = { runId, logDir: "/nonexistent", emit: () => undefined, teardown: new TeardownStack(), images: new ImageBuilder({ pull: false }), signal: new AbortController().signal };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:1", skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  const cluster = { kubeConfig, nodePorts: [], nodes: [], name: "registry-test" } as unknown as KindCluster;
  const external = { name: "x", kubeConfig, deliver: async (refs: readonly string[]) => new Map(refs.map((r) => [r, r])) };
  return { docker: new DockerPlatform(ctx), kind: new KindPlatform(ctx, { cluster, kind: cluster, scale: 1 }), kubernetes: new KindPlatform(ctx, { cluster: external, scale: 1 }) };
}
