import { describe, expect, it } from "vitest";
import { partitionCommand } from "./partition-rules.js";

describe("a partition's iptables rules", () => {
  it("drop every packet to and from each of the peer's addresses, named after the peer", () => {
    expect(partitionCommand("add", "database", ["172.18.0.3", "10.96.0.10"])).toEqual([
      "sh",
      "-c",
      [
        "set -e",
        "iptables -w 5 -I OUTPUT -d 172.18.0.3/32 -m comment --comment gameday-partition-database -j DROP",
        "iptables -w 5 -I INPUT -s 172.18.0.3/32 -m comment --comment gameday-partition-database -j DROP",
        "iptables -w 5 -I OUTPUT -d 10.96.0.10/32 -m comment --comment gameday-partition-database -j DROP",
        "iptables -w 5 -I INPUT -s 10.96.0.10/32 -m comment --comment gameday-partition-database -j DROP",
      ].join("\n"),
    ]);
  });

  it("are removed one by one where they still are, so removing twice is harmless", () => {
    expect(partitionCommand("remove", "router", ["10.244.0.5"])[2]).toBe(
      [
        "if iptables -w 5 -C OUTPUT -d 10.244.0.5/32 -m comment --comment gameday-partition-router -j DROP 2>/dev/null; then iptables -w 5 -D OUTPUT -d 10.244.0.5/32 -m comment --comment gameday-partition-router -j DROP; fi",
        "if iptables -w 5 -C INPUT -s 10.244.0.5/32 -m comment --comment gameday-partition-router -j DROP 2>/dev/null; then iptables -w 5 -D INPUT -s 10.244.0.5/32 -m comment --comment gameday-partition-router -j DROP; fi",
      ].join("\n"),
    );
  });

  it("take nothing into the shell that is not a peer name or an IPv4 address", () => {
    expect(() => partitionCommand("add", "db; reboot", ["10.0.0.1"])).toThrow(/not a peer name/);
    expect(() => partitionCommand("add", "database", ["10.0.0.1 -j ACCEPT"])).toThrow(/not an IPv4 address/);
  });
});
