import { describe, expect, it } from "vitest";
import { HarnessError } from "../../common/errors.js";
import { checkContext, productionSign } from "./context-guard.js";
import { parseRegistry, pushedDigest, registryName } from "./registry-push.js";

const refused = (f: () => void): HarnessError => {
  try {
    f();
  } catch (e) {
    return e as HarnessError;
  }
  throw new Error("not refused");
};

describe("the production guard", () => {
  it("sees production in a context's name or its API server's host, in any case", () => {
    expect(productionSign("prod-eu-1", "https://10.0.0.1:6443")).toMatch(/name "prod-eu-1"/);
    expect(productionSign("Production", "https://10.0.0.1:6443")).toMatch(/name/);
    expect(productionSign("eu-1", "https://api.prd.example.com:6443")).toMatch(/api\.prd\.example\.com/);
    expect(productionSign("kind-staging", "https://127.0.0.1:41234")).toBeUndefined();
    // The path and port are not the host.
    expect(productionSign("staging", "https://10.0.0.1:6443/prod")).toBeUndefined();
  });

  it("refuses such a context unless --allow-context names that very context", () => {
    const e = refused(() => checkContext("prod-eu-1", "https://10.0.0.1", undefined));
    expect(e.code).toBe("USAGE");
    expect(e.hint).toBe("if this cluster is meant for it, say so: --allow-context prod-eu-1");
    expect(refused(() => checkContext("prod-eu-1", "https://10.0.0.1", "prod-us-1")).hint).toMatch(/names "prod-us-1", not "prod-eu-1"/);
    expect(() => checkContext("prod-eu-1", "https://10.0.0.1", "prod-eu-1")).not.toThrow();
    expect(() => checkContext("staging", "https://10.0.0.1", undefined)).not.toThrow();
  });
});

describe("--registry", () => {
  it("takes a host with a dot or a port, or localhost, and an optional path", () => {
    expect(parseRegistry("localhost:5001/gameday/")).toBe("localhost:5001/gameday");
    expect(parseRegistry("registry.example.com/team/sre")).toBe("registry.example.com/team/sre");
    expect(parseRegistry("localhost")).toBe("localhost");
    for (const bad of ["gameday", "Registry.example.com/Team", "localhost:5001/a//b", "https://registry.example.com"]) expect(refused(() => parseRegistry(bad)).code, bad).toBe("USAGE");
  });

  it("names an image under the prefix by its repository's last part and tag, and reads the digest docker push printed", () => {
    expect(registryName("localhost:5001/gameday", "deploy-gameday/app:good-1")).toBe("localhost:5001/gameday/app:good-1");
    expect(registryName("r.example.com", "haproxy")).toBe("r.example.com/haproxy:latest");
    const digest = `sha256:${"0123456789abcdef".repeat(4)}`;
    expect(pushedDigest(`The push refers to repository [localhost:5001/gameday/app]\ngood-1: digest: ${digest} size: 1573\n`)).toBe(digest);
    expect(pushedDigest("denied: requested access to the resource is denied")).toBeUndefined();
  });
});
