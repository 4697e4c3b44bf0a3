import { HarnessError } from "../common/errors.js";

/**
 * The iptables rules of a partition, as one `sh -c` command run in the
 * instance's network namespace (on Docker a privileged exec in its container,
 * on kind nsenter from the node): every packet to and from each of the
 * peer's addresses is dropped, silently, as a network partition does (no
 * reset: connections hang and time out). Each rule carries a comment naming
 * the peer; removing checks each rule first, so removing twice is harmless.
 */
export function partitionCommand(action: "add" | "remove", peer: string, addresses: readonly string[]): string[] {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(peer)) throw new HarnessError("INTERNAL", `not a peer name for a rule's comment: ${JSON.stringify(peer)}`);
  const comment = `gameday-partition-${peer}`;
  const rules: string[] = [];
  for (const ip of addresses) {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw new HarnessError("INTERNAL", `not an IPv4 address for a rule: ${JSON.stringify(ip)}`);
    rules.push(`OUTPUT -d ${ip}/32 -m comment --comment ${comment} -j DROP`, `INPUT -s ${ip}/32 -m comment --comment ${comment} -j DROP`);
  }
  const lines =
    action === "add"
      ? ["set -e", ...rules.map((r) => `iptables -w 5 -I ${r}`)]
      : rules.map((r) => `if iptables -w 5 -C ${r} 2>/dev/null; then iptables -w 5 -D ${r}; fi`);
  return ["sh", "-c", lines.join("\n")];
}
