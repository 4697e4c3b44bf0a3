import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { systemClock } from "../common/clock.js";
import { exec } from "../common/exec.js";
import { LABEL, PROJECT } from "../common/labels.js";
import { NODE_IMAGE, deleteCluster, kindBinary } from "../platforms/kind/cluster.js";
import { setUpPodNetwork } from "../platforms/kind/pod-network.js";
import { ImageBuilder } from "../images/builder.js";


/**
 * A company's staging cluster and registry, as the harness finds them with
 * --platform kubernetes: a kind cluster of a control plane and `workers`
 * workers, created here with kind's own CLI and a configuration of its own
 * (not the harness's: no port mappings, no encryption), whose containerd pulls
 * localhost:<port>/… from a registry container on the cluster's network (kind's
 * documented local-registry set-up). The harness is only given the kubeconfig
 * and the registry's name.
 */
export class StagingCluster {
  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly kubeconfig: string,
    /** What --registry names: the registry as this machine's Docker pushes to it. */
    readonly registry: string,
    readonly registryContainer: string,
  ) {}

  static async create(o: { workers: number; log?: (line: string) => void }): Promise<StagingCluster> {
    const log = o.log ?? (() => undefined);
    const name = `staging-${randomBytes(3).toString("hex")}`;
    const dir = mkdtempSync(join(tmpdir(), `${name}-`));
    const registryContainer = `${name}-registry`;
    const kubeconfig = join(dir, "kubeconfig");
    const cluster = new StagingCluster(name, dir, kubeconfig, "", registryContainer);
    try {
      const registryImage = (await new ImageBuilder().ensure("registry")).ref;
      const config = {
        kind: "Cluster",
        apiVersion: "kind.x-k8s.io/v1alpha4",
        networking: { apiServerAddress: "127.0.0.1", disableDefaultCNI: true },
        containerdConfigPatches: [
          // As kind-config.yaml: machines without CAP_SYS_RESOURCE (ENVIRONMENT.md).
          '[plugins."io.containerd.grpc.v1.cri"]\n  restrict_oom_score_adj = true',
          // Registry hosts from /etc/containerd/certs.d (kind's local-registry guide).
          '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"',
        ],
        nodes: [{ role: "control-plane" }, ...Array.from({ length: o.workers }, () => ({ role: "worker" }))],
      };
      writeFileSync(join(dir, "kind.yaml"), stringify(config));
      log(`creating the staging cluster ${name} (${o.workers} workers) with kind create cluster`);
      await exec(kindBinary(), ["create", "cluster", "--name", name, "--image", NODE_IMAGE, "--config", join(dir, "kind.yaml"), "--kubeconfig", kubeconfig, "--wait", "0s"], { timeoutMs: 300_000 });
      // On the cluster's network from the start: connecting it later may move its published port.
      await exec("docker", ["run", "-d", "--name", registryContainer, "--network", "kind", "--label", `${LABEL.project}=${PROJECT}`, "-p", "127.0.0.1::5000", registryImage]);
      const port = (await exec("docker", ["port", registryContainer, "5000/tcp"])).stdout.trim().split("\n")[0]!.split(":").pop()!;
      const registry = `localhost:${port}`;
      const nodes = (await exec(kindBinary(), ["get", "nodes", "--name", name])).stdout.trim().split("\n");
      const hosts = `[host."http://${registryContainer}:5000"]\n  capabilities = ["pull", "resolve"]\n`;
      for (const node of nodes) await exec("docker", ["exec", "-i", node, "sh", "-c", `mkdir -p "/etc/containerd/certs.d/${registry}" && cat > "/etc/containerd/certs.d/${registry}/hosts.toml"`], { input: hosts });
      // What the cluster's own CNI would do on a real cluster (the node image's is for one node).
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      await setUpPodNetwork({ admin: kc, expected: o.workers + 1, first: true, clock: systemClock, log });
      return new StagingCluster(name, dir, kubeconfig, `${registry}/gameday`, registryContainer);
    } catch (e) {
      await cluster.destroy();
      throw e;
    }
  }

  /** A copy of the kubeconfig whose context is called `context` (a production-looking name, say). */
  kubeconfigWithContext(context: string): string {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfig);
    const current = kc.getCurrentContext();
    const file = join(this.dir, `${context}.kubeconfig`);
    const exported = JSON.parse(kc.exportConfig()) as { contexts: Array<{ name: string }>; "current-context": string };
    for (const c of exported.contexts) if (c.name === current) c.name = context;
    exported["current-context"] = context;
    writeFileSync(file, stringify(exported));
    return file;
  }

  adminConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfig);
    return kc;
  }

  async destroy(): Promise<void> {
    await deleteCluster(this.name).catch(() => undefined);
    await exec("docker", ["rm", "-f", "-v", this.registryContainer]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
