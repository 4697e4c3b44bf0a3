import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../common/paths.js";
import { ENCRYPTION_DIR_IN_NODE, ENCRYPTION_FILE, encryptionConfiguration, kindConfigWithEncryption, newEncryptionKey } from "./encryption.js";

const kindConfig = readFileSync(join(ROOT, "kind-config.yaml"), "utf8");

describe("Secrets encrypted at rest (secrets-management.yml)", () => {
  it("an EncryptionConfiguration that writes Secrets with aescbc under the first key and still reads plain ones", () => {
    const key = newEncryptionKey("key1");
    expect(Buffer.from(key.secret, "base64")).toHaveLength(32);
    expect(newEncryptionKey("key1").secret).not.toBe(key.secret);
    expect(encryptionConfiguration([key])).toEqual({
      apiVersion: "apiserver.config.k8s.io/v1",
      kind: "EncryptionConfiguration",
      resources: [{ resources: ["secrets"], providers: [{ aescbc: { keys: [{ name: "key1", secret: key.secret }] } }, { identity: {} }] }],
    });
  });

  it("kind-config.yaml's kubeadm patch points the API server at the file the harness mounts into the control plane", () => {
    const patch = parse((parse(kindConfig) as { kubeadmConfigPatches: string[] }).kubeadmConfigPatches[0]!) as {
      kind: string;
      apiServer: { extraArgs: Record<string, string>; extraVolumes: Array<{ hostPath: string; mountPath: string; readOnly: boolean }> };
    };
    expect(patch.kind).toBe("ClusterConfiguration");
    expect(patch.apiServer.extraArgs["encryption-provider-config"]).toBe(`${ENCRYPTION_DIR_IN_NODE}/${ENCRYPTION_FILE}`);
    // A key rotation (key-rotation.ts) needs the API server to reload the file by itself.
    expect(patch.apiServer.extraArgs["encryption-provider-config-automatic-reload"]).toBe("true");
    expect(patch.apiServer.extraVolumes).toEqual([expect.objectContaining({ hostPath: ENCRYPTION_DIR_IN_NODE, mountPath: ENCRYPTION_DIR_IN_NODE, readOnly: true })]);
    const rendered = parse(kindConfigWithEncryption(kindConfig, "/state/gameday.encryption")) as { nodes: Array<{ role: string; extraMounts?: unknown[]; extraPortMappings?: unknown[] }>; kubeadmConfigPatches: string[] };
    expect(rendered.nodes[0]!.extraMounts).toEqual([{ hostPath: "/state/gameday.encryption", containerPath: ENCRYPTION_DIR_IN_NODE, readOnly: true }]);
    // Everything else of kind-config.yaml stays as it is.
    expect(rendered.nodes[0]!.extraPortMappings).toEqual((parse(kindConfig) as { nodes: Array<{ extraPortMappings: unknown[] }> }).nodes[0]!.extraPortMappings);
    expect(rendered.kubeadmConfigPatches).toEqual((parse(kindConfig) as { kubeadmConfigPatches: string[] }).kubeadmConfigPatches);
  });

  it("refuses a kind configuration without a control plane, saying what to add", () => {
    expect(() => kindConfigWithEncryption("kind: Cluster\nnodes:\n  - role: worker\n", "/x")).toThrow(/no control-plane node/);
  });
});
