import { describe, expect, it } from "vitest";
import type { EncryptionAtRest } from "../platforms/platform.js";
import type { RotationExpectation } from "../scenario/scenario.js";
import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { clusterSources } from "../../test/support/evidence.js";
import { collectEvidence, describeExpectation, judge, type Evidence } from "./checker.js";

const once: RotationExpectation = { id: "rotated", kind: "rotation", completed: { op: "==", value: 1, text: "1" } };
const stamp = (e: TimelineEvent, t: number): Stamped => ({ ...e, at: "", t, specT: t });

const password = (over: Partial<Extract<TimelineEvent, { type: "secret.password.changed" }>> = {}): TimelineEvent => ({
  type: "secret.password.changed",
  n: 1,
  oldPassword: { refused: true, code: "28P01", message: 'password authentication failed for user "gameday"' },
  services: "database-secret points at 172.18.0.3:5432; deployments agi-eval-sandbox-stable restarted",
  pods: [
    { pod: "agi-eval-sandbox-stable-5b-aaaaa", role: "stable", sessionAfterSeconds: 4.2 },
    { pod: "agi-eval-sandbox-stable-5b-bbbbb", role: "stable", sessionAfterSeconds: 6.5 },
  ],
  oldSessions: 0,
  ...over,
});
const key = (over: Partial<Extract<TimelineEvent, { type: "secret.key.rotated" }>> = {}): TimelineEvent => ({ type: "secret.key.rotated", n: 1, from: ["key1"], to: "key2", loadedAfterSeconds: 31.5, rewritten: 3, ...over });
const good: TimelineEvent[] = [{ type: "secret.rotation.started", n: 1, everySpecSeconds: 2_592_000 }, password(), key(), { type: "secret.rotation.finished", n: 1, seconds: 48 }];
const atEnd: EncryptionAtRest = { keys: ["key2"], loaded: true, waitedMs: 12_000, stored: { "aescbc/key2": 3 } };

const evidence = (events: readonly TimelineEvent[], encryption: EncryptionAtRest | { error: string } | null = atEnd): Evidence => ({
  events: events.map((e, i) => stamp(e, i)),
  versions: new Map(),
  metrics: new Map(),
  ...(encryption ? { encryption } : {}),
});

describe("judge: secrets rotated (secrets-management.yml)", () => {
  it("holds for one finished rotation: old password refused, every pod on the new one, the key replaced and nothing left under key1", () => {
    const j = judge(once, evidence(good));
    expect(j.held).toBe(true);
    expect(j.evidence).toBe(
      "1 rotation(s) finished, expected exactly 1; rotation 1: old password refused (28P01), 2/2 pods authenticated with the new one (each with a session begun after the change, the latest of those seen 6.5 s after it); " +
        "rotation 1: key key1 -> key2, loaded after 31.5 s, 3 Secrets rewritten; at the end: configuration keys key2 (loaded by the API server after 12.0 s); Secrets in etcd: 3 under aescbc/key2",
    );
    expect(describeExpectation(once)).toMatch(/^the secrets are rotated exactly 1 time\(s\)/);
  });

  it("fails when fewer rotations finished than expected, or one failed", () => {
    const twice: RotationExpectation = { ...once, completed: { op: ">=", value: 2, text: ">=2" } };
    expect(judge(twice, evidence(good)).evidence).toContain("MISMATCH 1 rotation(s) finished, not >=2");
    const failed = judge(once, evidence([good[0]!, password(), { type: "secret.rotation.failed", n: 1, error: "the API server did not load the new EncryptionConfiguration within 150 s" }], { ...atEnd, keys: ["key1"], stored: { "aescbc/key1": 3 } }));
    expect(failed.held).toBe(false);
    expect(failed.evidence).toContain("0 rotation(s) finished, not 1; rotation 1 failed: the API server did not load");
  });

  it("fails when the old password still connects, or a pod never authenticated after the change", () => {
    const accepted = judge(once, evidence([good[0]!, password({ oldPassword: { refused: false, message: "the old password still connects" } }), key(), good[3]!]));
    expect(accepted.held).toBe(false);
    expect(accepted.evidence).toContain("rotation 1: the old password was not refused (the old password still connects)");
    const silent = judge(once, evidence([good[0]!, password({ pods: [{ pod: "p-1", role: "stable", sessionAfterSeconds: 1 }, { pod: "p-2", role: "stable" }] }), key(), good[3]!]));
    expect(silent.held).toBe(false);
    expect(silent.evidence).toContain("rotation 1: 1 of 2 pods never opened a session after the change (p-2)");
    expect(judge(once, evidence([good[0]!, password({ pods: [] }), key(), good[3]!])).evidence).toContain("no pod was running after the restart");
  });

  it("fails when etcd still holds a Secret under the retired key or in the clear, when the old key is still configured, or when the API server had not loaded the file", () => {
    expect(judge(once, evidence(good, { ...atEnd, stored: { "aescbc/key2": 2, "aescbc/key1": 1 } })).evidence).toContain("MISMATCH 1 Secret(s) still stored under the retired key key1");
    expect(judge(once, evidence(good, { ...atEnd, stored: { "aescbc/key2": 2, identity: 1 } })).evidence).toContain("1 Secret(s) stored in the clear or unrecognised");
    expect(judge(once, evidence(good, { ...atEnd, keys: ["key2", "key1"] })).evidence).toContain("the configuration holds key2, key1, not key2 alone");
    expect(judge(once, evidence(good, { ...atEnd, loaded: false })).evidence).toContain("the API server had not loaded the configuration on disk at the end");
    expect(judge(once, evidence([good[0]!, password(), key({ rewritten: 0 }), good[3]!])).evidence).toContain("no Secret was rewritten with key2");
  });

  it("fails without etcd's state at the end", () => {
    expect(judge(once, evidence(good, { error: "etcd answered 401" })).evidence).toContain("etcd could not be read at the end: etcd answered 401");
    expect(judge(once, evidence(good, null)).evidence).toContain("etcd was not read at the end (kind only)");
  });

  it("reads etcd once at the end for every rotation expectation, keeping a failed read as its reason", async () => {
    let reads = 0;
    const sources = clusterSources({
      encryptionAtRest: async (): Promise<EncryptionAtRest> => {
        reads++;
        throw new Error("etcd did not answer within 10 s");
      },
    });
    const collected = await collectEvidence([once, { ...once, id: "again" }], sources);
    expect(reads).toBe(1);
    expect(collected.encryption).toEqual({ error: "etcd did not answer within 10 s" });
  });
});
