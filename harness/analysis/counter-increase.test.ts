import { describe, expect, it } from "vitest";
import { counted } from "./counter-increase.js";

describe("counted", () => {
  it("is the last sample minus the last one at or before the window's start", () => {
    expect(counted([[9, 100], [10, 104], [11, 110], [12, 120]], 10)).toBe(16);
    expect(counted([[9, 100], [10, 104], [11, 110], [12, 120]], 10.5)).toBe(16);
    expect(counted([[9, 100], [10, 104], [11, 110], [12, 120]], 9.5)).toBe(20);
  });

  it("counts a series born inside the window from 0", () => {
    expect(counted([[11, 3], [12, 5]], 10)).toBe(5);
  });

  it("reads a drop as a restart from 0", () => {
    expect(counted([[9, 100], [10, 110], [11, 4], [12, 9]], 9)).toBe(19);
  });

  it("is 0 with no sample inside the window", () => {
    expect(counted([[8, 100], [9, 120]], 9)).toBe(0);
    expect(counted([], 9)).toBe(0);
  });
});
