import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { waitFor, type Clock } from "../../common/clock.js";
import { HarnessError, errorMessage } from "../../common/errors.js";
import { didYouMean } from "../../common/suggest.js";
import type { ClusterHandle, ImageDelivery } from "./cluster-handle.js";
import { checkContext } from "./context-guard.js";
import { RegistryDelivery, parseRegistry } from "./registry-push.js";

/** `--platform kubernetes` and its flags: which cluster, which context, which registry. */
export interface ExternalClusterOptions {
  /** The kubeconfig file; else $KUBECONFIG's first file; else ~/.kube/config (as kubectl). */
  kubeconfig?: string;
  /** The context to use; else the file's current context. */
  context?: string;
  /** A context whose name or server suggests production that the operator allows all the same. */
  allowContext?: string;
  /** Where to push images (`host[:port]/prefix`); without, the cluster must be a kind cluster on this machine, whose nodes the images are loaded into. */
  registry?: string;
}

/** The kubeconfig file kubectl would read. */
export function kubeconfigFile(o: Pick<ExternalClusterOptions, "kubeconfig">, cwd = process.cwd()): string {
  if (o.kubeconfig !== undefined) return resolve(cwd, o.kubeconfig);
  const fromEnv = process.env.KUBECONFIG?.split(":").find((f) => f !== "");
  return fromEnv ?? join(homedir(), ".kube", "config");
}

/**
 * Read the kubeconfig and pick the context, refusing one that suggests
 * production (context-guard.ts): all before anything starts. Loads the
 * Kubernetes client, so only for --platform kubernetes.
 */
export async function loadKubeconfig(o: ExternalClusterOptions, cwd = process.cwd()): Promise<{ kubeConfig: KubeConfig; context: string; server: string; file: string }> {
  const file = kubeconfigFile(o, cwd);
  const hint = "--kubeconfig <file> names the cluster's kubeconfig (kubectl's own: $KUBECONFIG, else ~/.kube/config)";
  if (!existsSync(file)) throw new HarnessError("USAGE", `no kubeconfig at ${file}`, { hint });
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (e) {
    throw new HarnessError("USAGE", `${file} is not a kubeconfig: ${errorMessage(e)}`, { hint });
  }
  const names = kc.getContexts().map((c) => c.name);
  const context = o.context ?? kc.getCurrentContext();
  if (!context || !names.includes(context)) {
    throw new HarnessError("USAGE", o.context ? `kubeconfig ${file} has no context "${o.context}"${didYouMean(o.context, names)}` : `kubeconfig ${file} has no current context`, {
      hint: names.length > 0 ? `its contexts: ${names.join(", ")}; pick one with --context <name>` : "the file names no context",
    });
  }
  kc.setCurrentContext(context);
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new HarnessError("USAGE", `context "${context}" of ${file} names no cluster with a server`, { hint: "kubectl config view shows what the file holds" });
  checkContext(context, server, o.allowContext);
  if (o.registry !== undefined) parseRegistry(o.registry);
  return { kubeConfig: kc, context, server, file };
}

/**
 * A cluster the harness was pointed at and did not create: it is never
 * created, changed or deleted by the harness, which makes and removes only
 * its run's namespaces in it. Images reach it through a registry it pulls
 * from, or, for a kind cluster on this machine, are loaded into its nodes.
 */
export class ExternalCluster implements ClusterHandle {
  private constructor(
    readonly name: string,
    readonly kubeConfig: KubeConfig,
    readonly server: string,
    private readonly delivery: ImageDelivery,
    readonly source: { readonly kubeconfig: string; readonly context: string },
  ) {}

  /**
   * Read the kubeconfig, reach the API server, and settle how images get
   * there: `--registry`, or `kindLoad` when the cluster is a kind cluster on
   * this machine (it answers undefined otherwise).
   */
  static async connect(o: ExternalClusterOptions & { kindLoad: (kc: KubeConfig) => Promise<ImageDelivery | undefined>; log: (line: string) => void; clock: Clock; signal?: AbortSignal }): Promise<ExternalCluster> {
    const { kubeConfig, context, server, file } = await loadKubeconfig(o);
    const { VersionApi } = await import("@kubernetes/client-node");
    const version = kubeConfig.makeApiClient(VersionApi);
    let lastError = "";
    const info = await waitFor(
      () =>
        version.getCode().catch((e: unknown) => {
          lastError = errorMessage(e);
          return undefined;
        }),
      {
        description: `the API server of context "${context}" (${server}) to answer`,
        timeoutMs: 15_000,
        intervalMs: 1000,
        clock: o.clock,
        ...(o.signal ? { signal: o.signal } : {}),
        hint: `check the cluster and ${file} (\`kubectl --kubeconfig ${file} --context ${context} version\` asks the same)`,
      },
    ).catch((e: unknown) => {
      throw new HarnessError("CLUSTER_FAILED", `${errorMessage(e)}${lastError ? `; last error: ${lastError.slice(0, 300)}` : ""}`, { hint: `\`kubectl --kubeconfig ${file} --context ${context} version\` asks the same`, cause: e });
    });
    o.log(`using context "${context}" of ${file}: Kubernetes ${info.gitVersion} at ${server}`);
    let delivery: ImageDelivery | undefined;
    if (o.registry !== undefined) {
      delivery = new RegistryDelivery(parseRegistry(o.registry));
      o.log(`images are pushed to ${o.registry}`);
    } else {
      delivery = await o.kindLoad(kubeConfig);
      if (!delivery) {
        throw new HarnessError("USAGE", `context "${context}" is not a kind cluster on this machine, so the harness cannot load its images into the nodes`, {
          hint: "give a registry the cluster pulls from: --registry <host[:port]/prefix> (the harness tags and pushes its images there)",
        });
      }
      o.log(`images are loaded into the kind cluster's nodes (no --registry)`);
    }
    return new ExternalCluster(context, kubeConfig, server, delivery, { kubeconfig: file, context });
  }

  deliver(refs: readonly string[], log: (line: string) => void, signal?: AbortSignal): Promise<ReadonlyMap<string, string>> {
    return this.delivery.deliver(refs, log, signal);
  }
}
