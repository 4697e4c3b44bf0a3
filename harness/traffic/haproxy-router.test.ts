import { describe, expect, it } from "vitest";
import { HAPROXY_PORTS, haproxyConfig, parseServersState, type Backend, inFlight } from "./haproxy-router.js";
import { sharesFromWeights } from "./weights.js";

const BACKENDS: Backend[] = [
  { server: "stable-0", role: "stable", address: "stable-0:8000" },
  { server: "stable-1", role: "stable", address: "stable-1:8000" },
  { server: "candidate-0", role: "candidate", address: "candidate-0:8000" },
];

/** What HAProxy 2.6 prints for `show servers state app`: a format version, the column header, one line per server. */
const HEADER =
  "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port";
const SHOW_SERVERS_STATE = [
  "1",
  HEADER,
  "3 app 1 stable-0 172.18.0.4 2 0 9 9 12 1 0 2 0 0 0 0 stable-0 8000 - 0 0 - - 0",
  "3 app 2 stable-1 172.18.0.5 2 0 9 9 12 1 0 2 0 0 0 0 stable-1 8000 - 0 0 - - 0",
  "3 app 3 candidate-0 172.18.0.6 2 0 2 9 3 1 0 2 0 0 0 0 candidate-0 8000 - 0 0 - - 0",
  "",
  "",
].join("\n");

describe("haproxyConfig with a platform resolver", () => {
  it("declares the resolver and resolves every server through it, so a replaced instance is found again", () => {
    const lines = haproxyConfig(BACKENDS, { stable: 100, candidate: 0 }, { resolver: "127.0.0.11:53" }).split("\n");
    expect(lines).toContain("resolvers platform");
    expect(lines).toContain("  nameserver dns 127.0.0.11:53");
    const servers = lines.filter((l) => l.trimStart().startsWith("server "));
    expect(servers).toHaveLength(3);
    for (const s of servers) expect(s).toMatch(/ resolvers platform resolve-prefer ipv4$/);
  });

  it("leaves both out without one (kind: pod addresses do not change under a name)", () => {
    const config = haproxyConfig(BACKENDS, { stable: 100, candidate: 0 });
    expect(config).not.toContain("resolvers");
  });
});

describe("haproxyConfig", () => {
  const config = haproxyConfig(BACKENDS, { stable: 90, candidate: 10 });
  const lines = config.split("\n");

  it("opens the runtime API on its port with admin level", () => {
    expect(lines).toContain(`  stats socket ipv4@0.0.0.0:${HAPROXY_PORTS.runtime} level admin`);
    expect(HAPROXY_PORTS.runtime).toBe(9999);
  });

  it("serves the prometheus exporter on the metrics frontend", () => {
    const metrics = lines.indexOf("frontend metrics");
    expect(metrics).toBeGreaterThan(-1);
    expect(lines[metrics + 1]).toBe(`  bind :${HAPROXY_PORTS.metrics}`);
    expect(lines).toContain("  http-request use-service prometheus-exporter if { path /metrics }");
  });

  it("takes traffic on its port into the app backend", () => {
    const traffic = lines.indexOf("frontend traffic");
    expect(lines[traffic + 1]).toBe(`  bind :${HAPROXY_PORTS.traffic}`);
    expect(lines.slice(traffic).find((l) => l.includes("default_backend"))).toBe("  default_backend app");
    expect(lines).toContain("backend app");
  });

  it("never closes an idle load connection first: the load's client has no idle timeout, and a POST on a closed one fails", () => {
    const traffic = lines.slice(lines.indexOf("frontend traffic"), lines.indexOf("frontend metrics"));
    expect(traffic).toContain("  timeout http-keep-alive 1h");
    expect(traffic).toContain("  timeout client 1h");
  });

  it("has one server line per backend, with its address and weight", () => {
    const servers = lines.filter((l) => l.trimStart().startsWith("server "));
    expect(servers).toEqual([
      "  server stable-0 stable-0:8000 weight 9 init-addr last,libc,none",
      "  server stable-1 stable-1:8000 weight 9 init-addr last,libc,none",
      "  server candidate-0 candidate-0:8000 weight 2 init-addr last,libc,none",
    ]);
    // The server lines belong to the app backend, which comes last.
    expect(lines.indexOf(servers[0]!)).toBeGreaterThan(lines.indexOf("backend app"));
  });

  it("starts with all traffic on one role when asked to", () => {
    const allStable = haproxyConfig(BACKENDS, { stable: 100, candidate: 0 });
    expect(allStable).toContain("  server candidate-0 candidate-0:8000 weight 0 ");
    expect(allStable).toMatch(/ {2}server stable-0 stable-0:8000 weight [1-9]\d* /);
  });

  it("refuses shares it cannot route", () => {
    expect(() => haproxyConfig(BACKENDS, { stable: 90, candidate: 20 })).toThrow(/add up to 100%/);
    expect(() => haproxyConfig(BACKENDS.slice(0, 2), { stable: 90, candidate: 10 })).toThrow(/no server for version "candidate"/);
  });
});

describe("parseServersState", () => {
  it("reads the user weight of every server of the backend", () => {
    expect(parseServersState(SHOW_SERVERS_STATE)).toEqual({ "stable-0": 9, "stable-1": 9, "candidate-0": 2 });
  });

  it("reads srv_uweight (set at runtime), not srv_iweight (from the config)", () => {
    // candidate-0 was configured with weight 9 and set to 2 at runtime.
    const weights = parseServersState(SHOW_SERVERS_STATE);
    expect(weights["candidate-0"]).toBe(2);
    expect(sharesFromWeights(weights, BACKENDS)).toEqual({ stable: 90, candidate: 10 });
  });

  it("reads weight 0 (drained) as 0", () => {
    const text = ["1", HEADER, "3 app 1 stable-0 172.18.0.4 2 0 0 9 40 1 0 2 0 0 0 0 stable-0 8000 - 0 0 - - 0", ""].join("\n");
    expect(parseServersState(text)).toEqual({ "stable-0": 0 });
  });

  it("ignores servers of other backends, and reads another backend when asked", () => {
    const text = [
      "1",
      HEADER,
      "3 app 1 stable-0 172.18.0.4 2 0 9 9 12 1 0 2 0 0 0 0 stable-0 8000 - 0 0 - - 0",
      "4 admin 1 ops-0 172.18.0.9 2 0 100 100 12 1 0 2 0 0 0 0 ops-0 9000 - 0 0 - - 0",
    ].join("\n");
    expect(parseServersState(text)).toEqual({ "stable-0": 9 });
    expect(parseServersState(text, "admin")).toEqual({ "ops-0": 100 });
  });

  it("finds columns by the header, not by position", () => {
    const reordered = ["1", "# be_id srv_uweight srv_name be_name", "3 7 stable-0 app", "3 1 candidate-0 app"].join("\n");
    expect(parseServersState(reordered)).toEqual({ "stable-0": 7, "candidate-0": 1 });
  });

  it("tolerates CRLF line ends and surrounding whitespace", () => {
    expect(parseServersState(SHOW_SERVERS_STATE.replace(/\n/g, "\r\n"))).toEqual({ "stable-0": 9, "stable-1": 9, "candidate-0": 2 });
  });

  it("gives no weights for a backend with no servers", () => {
    expect(parseServersState(["1", HEADER, ""].join("\n"))).toEqual({});
  });

  it("throws on output without the header (an error reply)", () => {
    expect(() => parseServersState("Can't find backend.\n")).toThrow(/unexpected "show servers state" output: Can't find backend/);
    expect(() => parseServersState("")).toThrow(/unexpected "show servers state" output/);
  });
});

describe("inFlight", () => {
  const csv = [
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot",
    "traffic,FRONTEND,,,3,9,4096,120",
    "app,stable-0,0,0,2,5,,60",
    "app,stable-1,1,1,0,4,,59",
    "app,BACKEND,1,1,2,9,,119",
    "metrics,FRONTEND,,,1,1,4096,3",
    "",
  ].join("\n");

  it("counts each server's current sessions and queued requests in the app backend", () => {
    expect(inFlight(csv)).toEqual({ "stable-0": 2, "stable-1": 1 });
  });

  it("refuses output that is not show stat's CSV", () => {
    expect(() => inFlight("Unknown command")).toThrow(/unexpected "show stat" output/);
  });
});
