import { describe, expect, it } from "vitest";
import { formatDuration, parseDurationMs } from "./duration.js";

describe("parseDurationMs", () => {
  it.each([
    ["600s", 600_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["250ms", 250],
    ["1m30s", 90_000],
    ["1.5s", 1_500],
    ["2d", 172_800_000],
    ["  10s  ", 10_000],
  ])("parses %j", (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it("reads bare numbers and numeric strings as seconds", () => {
    expect(parseDurationMs(5)).toBe(5_000);
    expect(parseDurationMs(0)).toBe(0);
    expect(parseDurationMs(0.25)).toBe(250);
    expect(parseDurationMs("30")).toBe(30_000);
    expect(parseDurationMs("2.5")).toBe(2_500);
  });

  it.each(["", "   ", "5x", "s5", "1m 30s", "-5s", "ms", "5S", "1h30", "30s5", "1e3s"])(
    "rejects %j",
    (text) => {
      expect(parseDurationMs(text)).toBeUndefined();
    },
  );

  it("rejects negative and non-finite numbers", () => {
    expect(parseDurationMs(-1)).toBeUndefined();
    expect(parseDurationMs(-0.5)).toBeUndefined();
    expect(parseDurationMs(Number.NaN)).toBeUndefined();
    expect(parseDurationMs(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(parseDurationMs("-5")).toBeUndefined();
  });

  it("rejects values that are neither strings nor numbers", () => {
    expect(parseDurationMs(undefined)).toBeUndefined();
    expect(parseDurationMs(null)).toBeUndefined();
    expect(parseDurationMs(true)).toBeUndefined();
    expect(parseDurationMs({ seconds: 5 })).toBeUndefined();
    expect(parseDurationMs(["5s"])).toBeUndefined();
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [250, "250ms"],
    [999.4, "999ms"],
    [1_000, "1.0s"],
    [1_500, "1.5s"],
    [6_000, "6.0s"],
    [10_000, "10s"],
    [42_400, "42s"],
    [60_000, "1m"],
    [90_000, "1m30s"],
    [3_600_000, "60m"],
    [5_430_000, "90m30s"],
  ])("formats %d ms as %j", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("carries rounded seconds into the minutes", () => {
    expect(formatDuration(119_600)).toBe("2m");
    expect(formatDuration(60_400)).toBe("1m");
    expect(formatDuration(89_600)).toBe("1m30s");
  });

  it("round-trips through parseDurationMs for whole seconds", () => {
    for (const ms of [60_000, 90_000, 125_000, 3_599_000]) {
      expect(parseDurationMs(formatDuration(ms))).toBe(ms);
    }
  });
});
