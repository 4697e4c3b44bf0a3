import { describe, expect, it } from "vitest";
import { checksumRow, compareRows } from "./row-checksums.js";

describe("row checksums", () => {
  it("differ when any column of a row differs", () => {
    const row = '(1,m-1,b-1,0.75,"2026-12-01 10:00:00+00",good-1)';
    expect(checksumRow(row)).toBe(checksumRow(row));
    expect(checksumRow(row)).not.toBe(checksumRow(row.replace("0.75", "0.76")));
    expect(checksumRow(row)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("compare into present, missing, changed and extra, in id order", () => {
    const expected = new Map([
      ["10", "a"],
      ["2", "b"],
      ["3", "c"],
      ["4", "d"],
    ]);
    const actual = new Map([
      ["2", "b"],
      ["3", "X"],
      ["10", "a"],
      ["11", "e"],
    ]);
    expect(compareRows(expected, actual)).toEqual({ present: ["2", "10"], missing: ["4"], changed: ["3"], extra: ["11"] });
  });

  it("find every row present when the sets are equal, and none when the table is empty", () => {
    const rows = new Map([["1", "a"]]);
    expect(compareRows(rows, new Map(rows))).toEqual({ present: ["1"], missing: [], changed: [], extra: [] });
    expect(compareRows(rows, new Map())).toEqual({ present: [], missing: ["1"], changed: [], extra: [] });
  });
});
