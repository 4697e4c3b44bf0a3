import { HarnessError, errorMessage } from "../../common/errors.js";
import { exec } from "../../common/exec.js";
import type { ImageDelivery } from "./cluster-handle.js";

/**
 * `--registry host[:port]/prefix`: where the harness pushes its images for a
 * cluster that pulls (one it did not create). Checked before anything starts.
 */
export function parseRegistry(value: string): string {
  const trimmed = value.replace(/\/+$/, "");
  const [host, ...path] = trimmed.split("/");
  const hostOk = host !== undefined && /^[a-z0-9.-]+(:\d{1,5})?$/i.test(host) && (host.includes(".") || host.includes(":") || host === "localhost");
  const pathOk = path.every((p) => /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(p));
  if (!hostOk || !pathOk) {
    throw new HarnessError("USAGE", `--registry must be a registry host with an optional path, like registry.example.com/team or localhost:5001/gameday, got "${value}"`, {
      hint: "the host needs a dot or a port (or is localhost), as Docker reads image names; path parts are lower-case letters, digits and . _ -",
    });
  }
  return trimmed;
}

/** The name a local image gets in the registry: its repository's last part and its tag under the prefix (deploy-gameday/app:good-1 → <prefix>/app:good-1). */
export function registryName(prefix: string, localRef: string): string {
  const last = localRef.split("/").pop()!;
  return `${prefix}/${last.includes(":") ? last : `${last}:latest`}`;
}

/** The digest `docker push` printed for what it pushed ("<tag>: digest: sha256:… size: …"). */
export function pushedDigest(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
}

/**
 * Tags each local image under the registry prefix and pushes it; pods then
 * name it by digest (<prefix>/app@sha256:…), so what runs is exactly what
 * was built, whatever a tag in the registry says later. An image pushed once
 * by this process (same image id) is not pushed again.
 */
export class RegistryDelivery implements ImageDelivery {
  private readonly pushed = new Map<string, Promise<string>>();

  constructor(readonly prefix: string) {}

  async deliver(refs: readonly string[], log: (line: string) => void, signal?: AbortSignal): Promise<ReadonlyMap<string, string>> {
    const out = new Map<string, string>();
    await Promise.all(
      [...new Set(refs)].map(async (ref) => {
        const id = (await exec("docker", ["image", "inspect", "--format", "{{.Id}}", ref])).stdout.trim();
        const key = `${ref}@${id}`;
        let pending = this.pushed.get(key);
        if (!pending) {
          pending = this.push(ref, log, signal);
          this.pushed.set(key, pending);
          pending.catch(() => this.pushed.delete(key));
        }
        out.set(ref, await pending);
      }),
    );
    return out;
  }

  private async push(ref: string, log: (line: string) => void, signal?: AbortSignal): Promise<string> {
    const name = registryName(this.prefix, ref);
    const started = performance.now();
    await exec("docker", ["tag", ref, name]);
    // The registry's tag is only the push's handle: removed after (the image stays under its own name), so runs leave no tags behind.
    const result = await exec("docker", ["push", name], { timeoutMs: 600_000, ...(signal ? { signal } : {}) })
      .catch((e: unknown) => {
        throw new HarnessError("CLUSTER_FAILED", `could not push ${ref} to ${name}: ${errorMessage(e).slice(0, 400)}`, {
          hint: `is the registry up, and does this machine's Docker trust it? (\`docker push ${name}\` shows the same; a registry without TLS must be on localhost or in the daemon's insecure-registries)`,
          cause: e,
        });
      })
      .finally(() => exec("docker", ["rmi", "--no-prune", name]).catch(() => undefined));
    const digest = pushedDigest(result.stdout);
    if (!digest) throw new HarnessError("CLUSTER_FAILED", `docker push ${name} printed no digest`, { hint: "its output is in the run's log; push it by hand to see why" });
    log(`pushed ${ref} to ${name} (${digest.slice(0, 19)}…) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return `${name.slice(0, name.lastIndexOf(":"))}@${digest}`;
  }
}
