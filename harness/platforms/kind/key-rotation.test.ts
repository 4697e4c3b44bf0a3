import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encryptionConfigurationYaml, encryptionKeysOf, newEncryptionKey } from "./encryption.js";
import { prefixEnd } from "./etcd.js";
import { configHash, nextKeyName, reloadState, storedWith } from "./key-rotation.js";

describe("encryption key rotation: the pieces read from files, etcd and the API server's metrics", () => {
  it("reads the aescbc keys of an EncryptionConfiguration in order, and names the next one after the highest", () => {
    const [k1, k2] = [newEncryptionKey("key1"), newEncryptionKey("key2")];
    expect(encryptionKeysOf(encryptionConfigurationYaml([k2, k1]))).toEqual([k2, k1]);
    expect(nextKeyName([k1])).toBe("key2");
    expect(nextKeyName([newEncryptionKey("key9"), k2])).toBe("key10");
    expect(nextKeyName([newEncryptionKey("primary")])).toBe("key1");
    expect(encryptionKeysOf("apiVersion: v1\nkind: Other\n")).toEqual([]);
  });

  it("tells what encrypted a value in etcd: the provider and key from its prefix, identity for Kubernetes' plain protobuf", () => {
    expect(storedWith(Buffer.concat([Buffer.from("k8s:enc:aescbc:v1:key2:"), Buffer.from([0xc6, 0x63, 0x00, 0xff])]))).toBe("aescbc/key2");
    expect(storedWith(Buffer.from("k8s\0\n\f\n\u0002v1\u0012\u0006Secret"))).toBe("identity");
    expect(storedWith(Buffer.from([1, 2, 3]))).toBe("unknown");
  });

  it("hashes a configuration as the API server reports it, and reads the loaded hash and the failed reloads from its metrics", () => {
    const content = encryptionConfigurationYaml([newEncryptionKey("key1")]);
    expect(configHash(content)).toBe(`sha256:${createHash("sha256").update(content).digest("hex")}`);
    const metrics = [
      "# HELP apiserver_encryption_config_controller_last_config_info [ALPHA] Information about the last applied encryption configuration",
      'apiserver_encryption_config_controller_last_config_info{apiserver_id_hash="sha256:aa",hash="sha256:0123abcd"} 1',
      'apiserver_encryption_config_controller_automatic_reloads_total{apiserver_id_hash="sha256:aa",status="failure"} 2',
      'apiserver_encryption_config_controller_automatic_reloads_total{apiserver_id_hash="sha256:aa",status="success"} 5',
    ].join("\n");
    expect(reloadState(metrics)).toEqual({ loaded: "sha256:0123abcd", failures: 2 });
    expect(reloadState("")).toEqual({ failures: 0 });
  });

  it("reads every key under a prefix with etcd's range end: the prefix with its last byte raised", () => {
    expect(prefixEnd("/registry/secrets/").toString()).toBe("/registry/secrets0");
    expect(prefixEnd("abc").toString()).toBe("abd");
  });
});
