import { describe, expect, it } from "vitest";
import type { Judgement } from "../checker/checker.js";
import { junit, junitOf } from "./results.js";
import { failed, held, results } from "./test-fixtures.js";

function count(haystack: string, needle: string | RegExp): number {
  return haystack.split(needle).length - 1;
}

describe("junit", () => {
  it("reports an inconclusive expectation as skipped, with why, not as a failure", () => {
    const xml = junit(results([held, { ...failed, inconclusive: "the machine running the harness was saturated while this was measured (host CPU 100% busy)" }]));
    expect(xml).toContain('tests="2" failures="0" skipped="1" errors="0"');
    expect(xml).toContain('<skipped message="inconclusive: the machine running the harness was saturated while this was measured (host CPU 100% busy); 2 of 5 observations differed"/>');
    expect(count(xml, "<failure ")).toBe(0);
  });

  it("writes one testcase per expectation with the suite's counts", () => {
    const xml = junit(results([held, failed, { ...held, id: "other" }]));
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')).toBe(true);
    expect(xml.endsWith("  </testsuite>\n</testsuites>\n")).toBe(true);
    expect(xml).toContain('<testsuite name="health-endpoints" tests="3" failures="1" skipped="0" errors="0" time="12.346" timestamp="2026-11-26T17:15:00.000Z">');
    expect(count(xml, "<testcase ")).toBe(3);
    // Named by the expectation's id, which CI's history follows; the description goes with the evidence.
    expect(xml).toContain('<testcase classname="health-endpoints" name="ready-ok" time="0.000"><system-out>/ready answers 200\n5 of 5 observations answered 200</system-out></testcase>');
    expect(xml).toContain(
      '<testcase classname="health-endpoints" name="ready-503" time="0.000"><failure message="2 of 5 observations differed"/><system-out>/ready answers 503\n2 of 5 observations differed</system-out></testcase>',
    );
    expect(xml).not.toContain("<error");
    // A case's time is what judging it took.
    expect(junit(results([{ ...held, seconds: 0.0123 }]))).toContain('name="ready-ok" time="0.012">');
  });

  it("counts every expectation that did not hold as a failure", () => {
    const xml = junit(results([failed, { ...failed, id: "b" }, held]));
    expect(xml).toContain('tests="3" failures="2" skipped="0" errors="0"');
    expect(count(xml, "<failure ")).toBe(2);
    expect(count(xml, "<system-out>")).toBe(3);
  });

  it("escapes XML special characters in names, attributes and text", () => {
    const nasty: Judgement = {
      id: "q",
      description: `body says "failing" & <database> isn't ready`,
      held: false,
      evidence: `503 failing=[database] <&> "quoted"`,
    };
    const ok: Judgement = { id: "t", description: "d", held: true, evidence: "a < b && c > d" };
    const xml = junit(results([nasty, ok], { scenario: `a&b<"c">` }));
    expect(xml).toContain('<testsuite name="a&amp;b&lt;&quot;c&quot;&gt;"');
    expect(xml).toContain('classname="a&amp;b&lt;&quot;c&quot;&gt;"');
    expect(xml).toContain(`<system-out>body says &quot;failing&quot; &amp; &lt;database&gt; isn't ready\n503 failing=[database] &lt;&amp;&gt; &quot;quoted&quot;</system-out>`);
    expect(xml).toContain('<failure message="503 failing=[database] &lt;&amp;&gt; &quot;quoted&quot;"/>');
    expect(xml).toContain("<system-out>d\na &lt; b &amp;&amp; c &gt; d</system-out>");
    // Nothing unescaped is left: every & starts an entity, and < only opens tags.
    expect(xml).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
    for (const attr of xml.matchAll(/="([^"]*)"/g)) expect(attr[1]).not.toMatch(/[<>&](?!amp;|lt;|gt;|quot;)/);
  });

  it("adds an error testcase when the run ended in an error", () => {
    const xml = junit(
      results([held], {
        verdict: "error",
        exitCode: 2,
        error: { code: "ENGINE_UNAVAILABLE", message: `cannot reach "docker" <socket>`, hint: "start Docker" },
      }),
    );
    expect(xml).toContain('tests="2" failures="0" skipped="0" errors="1"');
    expect(count(xml, "<testcase ")).toBe(2);
    expect(xml).toContain(
      '    <testcase classname="health-endpoints" name="run" time="12.346"><error message="ENGINE_UNAVAILABLE: cannot reach &quot;docker&quot; &lt;socket&gt;"/></testcase>\n',
    );
  });

  it("still writes a suite when the run failed before any expectation was judged", () => {
    const xml = junit(results([], { verdict: "error", error: { code: "TIMEOUT", message: "timed out" }, wallSeconds: 0.5 }));
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        "<testsuites>\n" +
        '  <testsuite name="health-endpoints" tests="1" failures="0" skipped="0" errors="1" time="0.500" timestamp="2026-11-26T17:15:00.000Z">\n' +
        '    <testcase classname="health-endpoints" name="run" time="0.500"><error message="TIMEOUT: timed out"/></testcase>\n' +
        "  </testsuite>\n" +
        "</testsuites>\n",
    );
  });

  it("puts several runs in one file, a suite each, for a command that ran several scenarios", () => {
    const xml = junitOf([results([held]), results([failed], { scenario: "canary-fail", wallSeconds: 20 })]);
    expect(count(xml, "<testsuites>")).toBe(1);
    expect(count(xml, "<testsuite ")).toBe(2);
    expect(xml).toContain('<testsuite name="canary-fail" tests="1" failures="1"');
    expect(xml.endsWith("  </testsuite>\n</testsuites>\n")).toBe(true);
  });
});
