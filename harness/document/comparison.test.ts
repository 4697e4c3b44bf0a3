import { describe, expect, it } from "vitest";
import { complement, formatObserved, parseComparison, satisfies, type Comparison } from "./comparison.js";

function parsed(text: string): Comparison {
  const c = parseComparison(text);
  if (!c) throw new Error(`expected ${JSON.stringify(text)} to parse`);
  return c;
}

describe("parseComparison", () => {
  it("reads percentages as fractions", () => {
    expect(parseComparison(">5%")).toEqual({ op: ">", value: 0.05, unit: "ratio", text: ">5%" });
    expect(parseComparison("<1%")).toEqual({ op: "<", value: 0.01, unit: "ratio", text: "<1%" });
    expect(parseComparison("<0.5%")).toEqual({ op: "<", value: 0.005, unit: "ratio", text: "<0.5%" });
  });

  it("reads times in milliseconds, seconds converted", () => {
    expect(parseComparison("<500ms")).toEqual({ op: "<", value: 500, unit: "ms", text: "<500ms" });
    expect(parseComparison(">2s")).toEqual({ op: ">", value: 2000, unit: "ms", text: ">2s" });
    expect(parsed("<1.5s").value).toBe(1500);
  });

  it("reads a bare number as a count", () => {
    expect(parseComparison(">=3")).toEqual({ op: ">=", value: 3, unit: "count", text: ">=3" });
    expect(parseComparison("<=10")).toEqual({ op: "<=", value: 10, unit: "count", text: "<=10" });
  });

  it("allows whitespace around and between the parts, and trims the text", () => {
    expect(parseComparison("  > 5 %  ")).toEqual({ op: ">", value: 0.05, unit: "ratio", text: "> 5 %" });
    expect(parseComparison("<= 500 ms")).toEqual({ op: "<=", value: 500, unit: "ms", text: "<= 500 ms" });
    expect(parseComparison("\t>=3\n")).toEqual({ op: ">=", value: 3, unit: "count", text: ">=3" });
  });

  it("parses decimal percentages and seconds to the nearest number to the decimal written", () => {
    // 0.7 / 100 and 1.1 / 100 are not the doubles 0.007 and 0.011; the bound must be exactly the value written.
    expect(parsed(">0.7%").value).toBe(0.007);
    expect(parsed("<1.1%").value).toBe(0.011);
    expect(parsed("<2.2%").value).toBe(0.022);
    expect(parsed(">1.005s").value).toBe(1005);
  });

  it.each(["5%", "=>5%", "<5x", "", "   ", "<", "<%", "==5%", "<-5%", "<5%%", "<.5%", "< 5 % extra", "5<"])("rejects %j", (text) => {
    expect(parseComparison(text)).toBeUndefined();
  });
});

describe("satisfies", () => {
  it("is strict for '>': an error rate of exactly 5% does not breach '>5%'", () => {
    const c = parsed(">5%");
    expect(satisfies(c, 0.05)).toBe(false);
    expect(satisfies(c, 5 / 100)).toBe(false);
    expect(satisfies(c, 0.0500001)).toBe(true);
    expect(satisfies(c, 0.049)).toBe(false);
    expect(satisfies(c, 1)).toBe(true);
  });

  it("is strict for '<': exactly 500 ms does not satisfy '<500ms'", () => {
    const c = parsed("<500ms");
    expect(satisfies(c, 500)).toBe(false);
    expect(satisfies(c, 499.999)).toBe(true);
    expect(satisfies(c, 0)).toBe(true);
  });

  it("is strict at decimal bounds too, with observed rates computed as errors / requests", () => {
    // 11 errors in 1000 requests is exactly 1.1%: it does not satisfy "<1.1%".
    expect(satisfies(parsed("<1.1%"), 11 / 1000)).toBe(false);
    // 7 errors in 1000 requests is exactly 0.7%: it does not breach ">0.7%".
    expect(satisfies(parsed(">0.7%"), 7 / 1000)).toBe(false);
    expect(satisfies(parsed(">0.7%"), 8 / 1000)).toBe(true);
  });

  it("'<=' and '>=' include the bound", () => {
    expect(satisfies(parsed("<=500ms"), 500)).toBe(true);
    expect(satisfies(parsed("<=500ms"), 500.001)).toBe(false);
    expect(satisfies(parsed(">=3"), 3)).toBe(true);
    expect(satisfies(parsed(">=3"), 2)).toBe(false);
    expect(satisfies(parsed(">=3"), 4)).toBe(true);
    expect(satisfies(parsed("<=1%"), 0.01)).toBe(true);
  });

  it("compares seconds in milliseconds: exactly 2000 ms does not breach '>2s', 2001 does", () => {
    const c = parsed(">2s");
    expect(satisfies(c, 2000)).toBe(false);
    expect(satisfies(c, 2001)).toBe(true);
  });
});

describe("formatObserved", () => {
  it("shows ratios as percentages with two decimals", () => {
    expect(formatObserved({ unit: "ratio" }, 0.042)).toBe("4.20%");
    expect(formatObserved({ unit: "ratio" }, 0.05)).toBe("5.00%");
    expect(formatObserved({ unit: "ratio" }, 0)).toBe("0.00%");
    expect(formatObserved({ unit: "ratio" }, 1)).toBe("100.00%");
  });

  it("shows times as whole milliseconds", () => {
    expect(formatObserved({ unit: "ms" }, 511.6)).toBe("512ms");
    expect(formatObserved({ unit: "ms" }, 2000)).toBe("2000ms");
  });

  it("shows counts as they are", () => {
    expect(formatObserved({ unit: "count" }, 3)).toBe("3");
  });

  it("uses the unit of a parsed comparison", () => {
    expect(formatObserved(parsed(">5%"), 0.2)).toBe("20.00%");
    expect(formatObserved(parsed(">2s"), 2500.4)).toBe("2500ms");
  });
});

describe("a named latency statistic", () => {
  it("reads p99<500ms and avg<300ms, and refuses a statistic on a percentage", () => {
    expect(parseComparison("p99<500ms")).toMatchObject({ statistic: "p99", op: "<", value: 500, unit: "ms" });
    expect(parseComparison("avg < 0.3s")).toMatchObject({ statistic: "avg", value: 300, unit: "ms" });
    expect(parseComparison("<500ms")!.statistic).toBeUndefined();
    expect(parseComparison("p99<5%")).toBeUndefined();
    expect(parseComparison("p999<5ms")).toBeUndefined();
  });
});

describe("complement", () => {
  it.each([
    [">5%", "<=5%"],
    [">=5%", "<5%"],
    ["<500ms", ">=500ms"],
    ["<=2s", ">2s"],
    ["p99<500ms", "p99>=500ms"],
    ["> 0.7 %", "<=0.7%"],
  ])("turns %j into %j with the same value, unit and statistic", (text, expected) => {
    const c = parsed(text);
    const not = complement(c);
    expect(not.text).toBe(expected);
    expect(not).toEqual({ ...parsed(expected), text: expected });
    expect(not.value).toBe(c.value);
  });

  it("holds exactly where the comparison does not, at the bound too", () => {
    for (const text of [">5%", ">=5%", "<5%", "<=5%"]) {
      const c = parsed(text);
      for (const observed of [0.049, 0.05, 0.051]) expect(satisfies(complement(c), observed)).toBe(!satisfies(c, observed));
    }
  });

  it("is its own inverse", () => {
    const c = parsed("avg>=300ms");
    expect(complement(complement(c))).toEqual(c);
  });
});
