import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { parsePrometheusText, PrometheusTextError, sumSamples } from "./prometheus-text.js";

const AWKWARD = 'say "hi" \\ back\\slash, {braces} = and\nnewline';

async function promClientText(): Promise<string> {
  const registry = new Registry();
  const requests = new Counter({
    name: "http_requests_total",
    help: "Requests by route and version",
    labelNames: ["route", "version", "note"],
    registers: [registry],
  });
  requests.inc({ route: "/health", version: "good-1", note: "plain" }, 3);
  requests.inc({ route: "/health", version: "good-1", note: AWKWARD }, 2);
  requests.inc({ route: "/ready", version: "good-1", note: "plain" }, 5);
  requests.inc({ route: "/health", version: "bad-2", note: "plain" }, 7);
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Latency",
    labelNames: ["route"],
    buckets: [0.1, 1],
    registers: [registry],
  });
  duration.observe({ route: "/ready" }, 0.05);
  duration.observe({ route: "/ready" }, 0.5);
  duration.observe({ route: "/ready" }, 2);
  new Gauge({ name: "up", help: "Up", registers: [registry] }).set(1);
  return registry.metrics();
}

describe("parsePrometheusText on prom-client output", () => {
  it("reads counters, unescaping label values with quotes, backslashes and newlines", async () => {
    const text = await promClientText();
    // The escapes really are in the text the parser sees.
    expect(text).toContain('note="say \\"hi\\" \\\\ back\\\\slash, {braces} = and\\nnewline"');
    const samples = parsePrometheusText(text);
    const counters = samples.filter((s) => s.name === "http_requests_total");
    expect(counters).toHaveLength(4);
    expect(counters).toContainEqual({
      name: "http_requests_total",
      labels: { route: "/health", version: "good-1", note: AWKWARD },
      value: 2,
    });
    expect(counters).toContainEqual({
      name: "http_requests_total",
      labels: { route: "/health", version: "bad-2", note: "plain" },
      value: 7,
    });
    expect(samples).toContainEqual({ name: "up", labels: {}, value: 1 });
  });

  it("reads histograms: cumulative buckets including +Inf, sum and count", async () => {
    const samples = parsePrometheusText(await promClientText());
    const buckets = samples.filter((s) => s.name === "http_request_duration_seconds_bucket");
    expect(buckets.map((b) => [b.labels.le, b.labels.route, b.value])).toEqual([
      ["0.1", "/ready", 1],
      ["1", "/ready", 2],
      ["+Inf", "/ready", 3],
    ]);
    expect(sumSamples(samples, "http_request_duration_seconds_count", { route: "/ready" })).toBe(3);
    expect(sumSamples(samples, "http_request_duration_seconds_sum", { route: "/ready" })).toBeCloseTo(2.55);
  });

  it("sums counters filtered by labels", async () => {
    const samples = parsePrometheusText(await promClientText());
    expect(sumSamples(samples, "http_requests_total")).toBe(17);
    expect(sumSamples(samples, "http_requests_total", { route: "/health" })).toBe(12);
    expect(sumSamples(samples, "http_requests_total", { route: "/health", version: "good-1" })).toBe(5);
    expect(sumSamples(samples, "http_requests_total", { note: AWKWARD })).toBe(2);
    expect(sumSamples(samples, "http_requests_total", { route: "/nope" })).toBe(0);
    expect(sumSamples(samples, "no_such_metric")).toBe(0);
  });
});

describe("parsePrometheusText on hand-written text", () => {
  it("skips comments and blank lines and reads timestamps, spacing and special values", () => {
    const text = [
      "# HELP a_total Something",
      "# TYPE a_total counter",
      "",
      "a_total 1",
      'b{x="1"} 2.5 1700000000000',
      '  c{ x = "y" , z="w", } -3  ',
      "d +Inf",
      "e -Inf",
      "f NaN",
      "g{} 1e3",
      "ns:rule_name 4\r",
    ].join("\n");
    const samples = parsePrometheusText(text);
    expect(samples.map((s) => s.name)).toEqual(["a_total", "b", "c", "d", "e", "f", "g", "ns:rule_name"]);
    expect(samples[0]).toEqual({ name: "a_total", labels: {}, value: 1 });
    expect(samples[1]).toEqual({ name: "b", labels: { x: "1" }, value: 2.5 });
    expect(samples[2]).toEqual({ name: "c", labels: { x: "y", z: "w" }, value: -3 });
    expect(samples[3]!.value).toBe(Infinity);
    expect(samples[4]!.value).toBe(-Infinity);
    expect(samples[5]!.value).toBeNaN();
    expect(samples[6]).toEqual({ name: "g", labels: {}, value: 1000 });
    expect(samples[7]!.value).toBe(4);
  });

  it("returns nothing for empty text", () => {
    expect(parsePrometheusText("")).toEqual([]);
    expect(parsePrometheusText("# only a comment\n\n")).toEqual([]);
  });

  it.each([
    ["a line that is not a sample", "ok 1\n\n# comment\nnot a sample at all", /^line 4 is not a Prometheus sample/],
    ["a missing value", "ok 1\nlonely", /^line 2 is not a Prometheus sample: lonely/],
    ["a value that is not a number", "ok 1\nok 2\nbad one", /^line 3 has a value that is not a number: one/],
    ["unquoted label values", 'ok 1\nbad{a=b} 1', /^line 2 has malformed labels: \{a=b\}/],
    ["an unterminated label value", 'bad{a="b} 1', /^line 1 has an unterminated label value/],
    ["a name starting with a digit", "1bad 1", /^line 1 is not a Prometheus sample/],
  ])("throws naming the line for %s", (_what, text, message) => {
    expect(() => parsePrometheusText(text)).toThrow(PrometheusTextError);
    expect(() => parsePrometheusText(text)).toThrow(message);
  });
});

describe("sumSamples", () => {
  const samples = parsePrometheusText(
    ['r{route="/a",version="v1"} 1', 'r{route="/a",version="v2"} 10', 'r{route="/b",version="v1"} 100', "r 1000", 's{route="/a"} 5'].join("\n"),
  );

  it("requires every given label to match exactly", () => {
    expect(sumSamples(samples, "r", { route: "/a" })).toBe(11);
    expect(sumSamples(samples, "r", { version: "v1" })).toBe(101);
    expect(sumSamples(samples, "r", { route: "/a", version: "v2" })).toBe(10);
    expect(sumSamples(samples, "r", { route: "/A" })).toBe(0);
    expect(sumSamples(samples, "r", { route: "/a", missing: "x" })).toBe(0);
  });

  it("sums every sample of the name when no labels are given", () => {
    expect(sumSamples(samples, "r")).toBe(1111);
    expect(sumSamples(samples, "s")).toBe(5);
  });
});
