import { errorMessage } from "../common/errors.js";
import type { Expectation } from "../scenario/scenario.js";
import type { Collected, Evidence, EvidenceSources, ExpectationKind, Verdict } from "./evidence.js";

type AtRest = Extract<Expectation, { kind: "atRest" }>;

/** Printable bytes of the stored value's start, for the evidence. */
function head(bytes: Buffer): string {
  return bytes.subarray(0, 40).toString("latin1").replace(/[^\x20-\x7e]/g, "·");
}

/**
 * Encrypted at rest: etcd's bytes begin with the provider's prefix
 * (`k8s:enc:aescbc:v1:<key>:`), and no value of the Secret (the database
 * URL with its password) appears in them. Plain storage is a protobuf
 * beginning `k8s\0` with every value in the clear.
 */
function judgeAtRest(e: AtRest, evidence: Evidence): Verdict {
  const read = evidence.atRest?.get(e.secret);
  if (!read) return { held: false, evidence: `Secret ${e.secret} was not read from etcd (kind only)` };
  if ("error" in read) return { held: false, evidence: `Secret ${e.secret} could not be read from etcd: ${read.error}` };
  if (!read.stored) return { held: false, evidence: `etcd has no key ${read.key}` };
  const prefix = `k8s:enc:${e.provider}:v1:`;
  const prefixed = read.stored.subarray(0, prefix.length).toString("latin1") === prefix;
  const visible = read.values.filter((v) => v.length >= 4 && read.stored!.includes(Buffer.from(v)));
  const seen = `${read.key} in etcd: ${read.stored.length} bytes beginning "${head(read.stored)}"`;
  const checks = [
    prefixed ? `written with ${e.provider}` : `MISMATCH not the ${e.provider} prefix ${prefix}`,
    visible.length === 0 ? `none of its ${read.values.length} value(s) readable in the stored bytes` : `MISMATCH ${visible.length} of its ${read.values.length} value(s) readable in the stored bytes`,
  ];
  return { held: prefixed && visible.length === 0, evidence: `${seen}; ${checks.join("; ")}` };
}

async function collectAtRest(e: AtRest, sources: EvidenceSources, into: Collected): Promise<void> {
  into.atRest ??= new Map();
  if (into.atRest.has(e.secret) || !sources.kubernetes) return;
  into.atRest.set(e.secret, await sources.kubernetes.secretAtRest(e.secret).catch((err: unknown) => ({ error: errorMessage(err) })));
}

export const atRest = {
  describe: (e) => `Secret ${e.secret} is encrypted at rest in etcd (${e.provider}), none of its values in the clear`,
  collect: collectAtRest,
  judge: judgeAtRest,
} satisfies ExpectationKind<"atRest">;
