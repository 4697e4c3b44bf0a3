import { errorMessage } from "../common/errors.js";
import type { ConnectivityExpectation } from "../scenario/scenario.js";
import type { Collected, Evidence, EvidenceSources, ExpectationKind, Verdict } from "./evidence.js";

/** One connection tried, the same for every expectation that asks for it. */
export function connectionKey(e: Pick<ConnectivityExpectation, "from" | "to" | "port">): string {
  return `${e.from} -> ${e.to}:${e.port}`;
}

/**
 * The connection's outcome as network-policies.yml wants it: an allowed one
 * completed its handshake; a denied one did not (no answer, as a policy that
 * drops it gives, or a refusal). An error of the test itself judges nothing.
 */
function judgeConnectivity(e: ConnectivityExpectation, evidence: Evidence): Verdict {
  const test = evidence.connectivity?.get(connectionKey(e));
  if (!test) return { held: false, evidence: `no connection was tried from ${e.from} to ${e.to}:${e.port} (kind only)` };
  if ("error" in test) return { held: false, evidence: `the connection from ${e.from} to ${e.to}:${e.port} could not be tried: ${test.error}` };
  const connected = test.outcome === "connected";
  const failed = test.outcome === "timeout" || test.outcome === "refused";
  const held = e.allowed ? connected : failed;
  const what = { connected: "connected", timeout: "no answer (dropped)", refused: "refused", error: "failed" }[test.outcome];
  return {
    held,
    evidence: `${held ? "" : "MISMATCH "}from ${test.source} to ${test.to} at ${test.address}: ${what} after ${test.ms} ms${test.detail ? ` (${test.detail})` : ""}; expected ${e.allowed ? "allowed" : "denied"}`,
  };
}

async function collectConnectivity(e: ConnectivityExpectation, sources: EvidenceSources, into: Collected): Promise<void> {
  into.connectivity ??= new Map();
  const key = connectionKey(e);
  if (into.connectivity.has(key) || !sources.kubernetes) return;
  into.connectivity.set(key, await sources.kubernetes.testConnection({ from: e.from, to: e.to, port: e.port }).catch((err: unknown) => ({ error: errorMessage(err) })));
}

export const connectivity = {
  describe: (e) => `a connection from ${e.from} to ${e.to}:${e.port} is ${e.allowed ? "let through" : "denied"} (network-policies.yml)`,
  collect: collectConnectivity,
  judge: judgeConnectivity,
} satisfies ExpectationKind<"connectivity">;
