import { describe, expect, it } from "vitest";
import type { SecretAtRest } from "../platforms/platform.js";
import type { AtRestExpectation } from "../scenario/scenario.js";
import { clusterSources } from "../../test/support/evidence.js";
import { collectEvidence, describeExpectation, judge, type Evidence } from "./checker.js";

const e: AtRestExpectation = { id: "encrypted", kind: "atRest", secret: "database-secret", provider: "aescbc" };
const url = "postgres://gameday:gameday@db:5432/agi_eval_dev";
const key = "/registry/secrets/run-1/database-secret";
const withRead = (read: SecretAtRest | { error: string } | undefined): Evidence => ({
  events: [],
  versions: new Map(),
  metrics: new Map(),
  ...(read ? { atRest: new Map([["database-secret", read]]) } : {}),
});

describe("judge: a Secret at rest in etcd", () => {
  it("holds for an aescbc value with none of the Secret's values in it, and shows how the value begins", () => {
    const stored = Buffer.concat([Buffer.from("k8s:enc:aescbc:v1:key1:"), Buffer.from([0xc6, 0x63, 0xea, 0x01, 0x02]), Buffer.alloc(64, 7)]);
    const j = judge(e, withRead({ key, stored, values: [url] }));
    expect(j.held).toBe(true);
    expect(j.evidence).toMatch(new RegExp(`^${key} in etcd: ${stored.length} bytes beginning "k8s:enc:aescbc:v1:key1:·c·[^"]*"; written with aescbc; none of its 1 value\\(s\\) readable in the stored bytes$`));
    expect(describeExpectation(e)).toBe("Secret database-secret is encrypted at rest in etcd (aescbc), none of its values in the clear");
  });

  it("fails for a Secret stored in plain text (Kubernetes' protobuf, its values readable)", () => {
    const stored = Buffer.concat([Buffer.from("k8s\0\n\f\n\u0002v1\u0012\u0006Secret"), Buffer.from(url)]);
    const j = judge(e, withRead({ key, stored, values: [url] }));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("MISMATCH not the aescbc prefix k8s:enc:aescbc:v1:");
    expect(j.evidence).toContain("MISMATCH 1 of its 1 value(s) readable in the stored bytes");
  });

  it("fails for an encrypted prefix with a value in the clear after it, for a missing key, an error, or nothing read", () => {
    const leaky = Buffer.concat([Buffer.from("k8s:enc:aescbc:v1:key1:"), Buffer.from(url)]);
    expect(judge(e, withRead({ key, stored: leaky, values: [url] })).evidence).toMatch(/written with aescbc; MISMATCH 1 of its 1 value/);
    expect(judge(e, withRead({ key, stored: undefined, values: [] }))).toMatchObject({ held: false, evidence: `etcd has no key ${key}` });
    expect(judge(e, withRead({ error: "etcd answered 401" }))).toMatchObject({ held: false, evidence: "Secret database-secret could not be read from etcd: etcd answered 401" });
    expect(judge(e, withRead(undefined))).toMatchObject({ held: false, evidence: "Secret database-secret was not read from etcd (kind only)" });
  });

  it("reads each Secret once at the end of the run, and keeps a failed read as its reason", async () => {
    let reads = 0;
    const sources = clusterSources({
      secretAtRest: async (name: string): Promise<SecretAtRest> => {
        reads++;
        if (name === "other") throw new Error("no such Secret");
        return { key, stored: Buffer.from("k8s:enc:aescbc:v1:key1:xx"), values: [] };
      },
    });
    const collected = await collectEvidence([e, { ...e, id: "again" }, { ...e, id: "other", secret: "other" }], sources);
    expect(reads).toBe(2);
    expect(collected.atRest?.get("other")).toEqual({ error: "no such Secret" });
  });
});
