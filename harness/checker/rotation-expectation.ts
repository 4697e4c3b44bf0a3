import { errorMessage } from "../common/errors.js";
import { countSatisfies } from "../document/comparison.js";
import type { RotationExpectation } from "../scenario/scenario.js";
import type { EventOf, Stamped } from "../timeline/events.js";
import type { Collected, Evidence, EvidenceSources, ExpectationKind, Verdict } from "./evidence.js";

type RotationEvent = "secret.rotation.finished" | "secret.rotation.failed" | "secret.password.changed" | "secret.key.rotated";
type Of<T extends RotationEvent> = Stamped<EventOf<T>>;

function eventsOf<T extends RotationEvent>(evidence: Evidence, type: T): Array<Stamped<EventOf<T>>> {
  return evidence.events.filter((e): e is Stamped<EventOf<T>> => e.type === type);
}

/** One rotation's password part: the old password refused, and every pod running afterwards seen authenticating with the new one. */
function passwordProblems(p: Of<"secret.password.changed">): string[] {
  const problems: string[] = [];
  if (!p.oldPassword.refused) problems.push(`rotation ${p.n}: the old password was not refused (${p.oldPassword.message})`);
  if (p.pods.length === 0) problems.push(`rotation ${p.n}: no pod was running after the restart`);
  const missing = p.pods.filter((x) => x.sessionAfterSeconds === undefined).map((x) => x.pod);
  if (missing.length > 0) problems.push(`rotation ${p.n}: ${missing.length} of ${p.pods.length} pods never opened a session after the change (${missing.join(", ")})`);
  return problems;
}

function describePassword(p: Of<"secret.password.changed">): string {
  const slowest = Math.max(0, ...p.pods.map((x) => x.sessionAfterSeconds ?? 0));
  return `rotation ${p.n}: old password ${p.oldPassword.refused ? `refused (${p.oldPassword.code})` : "accepted"}, ${p.pods.filter((x) => x.sessionAfterSeconds !== undefined).length}/${p.pods.length} pods authenticated with the new one (each with a session begun after the change, the latest of those seen ${slowest.toFixed(1)} s after it)`;
}

/**
 * From the timeline: how many rotations finished (and that none failed), the
 * password evidence of each, each key replaced with every Secret rewritten;
 * from etcd at the end: the API server runs a configuration with the newest
 * key alone, and no Secret is stored under a retired key or in the clear.
 */
function judgeRotation(e: RotationExpectation, evidence: Evidence): Verdict {
  const finished = eventsOf(evidence, "secret.rotation.finished");
  const failed = eventsOf(evidence, "secret.rotation.failed");
  const passwords = eventsOf(evidence, "secret.password.changed");
  const keys = eventsOf(evidence, "secret.key.rotated");
  const problems: string[] = [];
  const parts: string[] = [`${finished.length} rotation(s) finished, expected ${e.completed.op === "==" ? "exactly " : ""}${e.completed.text}`];
  if (!countSatisfies(e.completed, finished.length)) problems.push(`${finished.length} rotation(s) finished, not ${e.completed.text}`);
  for (const f of failed) problems.push(`rotation ${f.n} failed: ${f.error}`);
  for (const p of passwords) {
    parts.push(describePassword(p));
    problems.push(...passwordProblems(p));
  }
  for (const k of keys) {
    parts.push(`rotation ${k.n}: key ${k.from.join(", ")} -> ${k.to}, loaded after ${k.loadedAfterSeconds.toFixed(1)} s, ${k.rewritten} Secrets rewritten`);
    if (k.rewritten === 0) problems.push(`rotation ${k.n}: no Secret was rewritten with ${k.to}`);
  }
  const retired = new Set(keys.flatMap((k) => k.from));
  const newest = keys.at(-1)?.to;
  const state = evidence.encryption;
  if (!state) problems.push("etcd was not read at the end (kind only)");
  else if ("error" in state) problems.push(`etcd could not be read at the end: ${state.error}`);
  else {
    const stored = Object.entries(state.stored).map(([by, n]) => `${n} under ${by}`).join(", ") || "none";
    parts.push(`at the end: configuration keys ${state.keys.join(", ")} (${state.loaded ? `loaded by the API server${state.waitedMs > 0 ? ` after ${(state.waitedMs / 1000).toFixed(1)} s` : ""}` : "NOT loaded by the API server"}); Secrets in etcd: ${stored}`);
    if (!state.loaded) problems.push("the API server had not loaded the configuration on disk at the end");
    if (newest !== undefined && (state.keys.length !== 1 || state.keys[0] !== newest)) problems.push(`the configuration holds ${state.keys.join(", ")}, not ${newest} alone`);
    const left = [...retired].map((k) => [k, state.stored[`aescbc/${k}`] ?? 0] as const).filter(([, n]) => n > 0);
    for (const [k, n] of left) problems.push(`${n} Secret(s) still stored under the retired key ${k}`);
    const plain = (state.stored.identity ?? 0) + (state.stored.unknown ?? 0);
    if (plain > 0) problems.push(`${plain} Secret(s) stored in the clear or unrecognised`);
  }
  return { held: problems.length === 0, evidence: [...parts, ...(problems.length > 0 ? [`MISMATCH ${problems.join("; ")}`] : [])].join("; ") };
}

async function collectRotation(_e: RotationExpectation, sources: EvidenceSources, into: Collected): Promise<void> {
  if (into.encryption || !sources.kubernetes) return;
  into.encryption = await sources.kubernetes.encryptionAtRest().catch((err: unknown) => ({ error: errorMessage(err) }));
}

export const rotation = {
  describe: (e) =>
    `the secrets are rotated ${e.completed.op === "==" ? "exactly " : ""}${e.completed.text} time(s) (secrets-management.yml): the old database password refused, every pod on the new one, every Secret re-encrypted and nothing left under a retired key or in the clear`,
  collect: collectRotation,
  judge: judgeRotation,
} satisfies ExpectationKind<"rotation">;
