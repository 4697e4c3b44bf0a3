import { describe, expect, it } from "vitest";
import { withSourceLines } from "./source-lines.js";

const FILE = ["name: x", "versions:", "  stable:", "    image: app", "    tag: good-1", "    replicas: many"].join("\n");

describe("withSourceLines", () => {
  it("puts the file's line and a caret at the column under each problem that names a place", () => {
    const message = 'x.yaml:6:15: versions.stable.replicas must be an integer, got "many"\nx.yaml:1:1: steps is missing: expected a list';
    expect(withSourceLines(message, (f) => (f === "x.yaml" ? FILE : undefined))).toBe(
      [
        'x.yaml:6:15: versions.stable.replicas must be an integer, got "many"',
        "    6 |     replicas: many",
        "      |               ^",
        "x.yaml:1:1: steps is missing: expected a list",
      ].join("\n"),
    );
  });

  it("reads each file once and leaves alone what names no place, a file it cannot read, or a line past the end", () => {
    const reads: string[] = [];
    const read = (f: string) => {
      reads.push(f);
      return f === "x.yaml" ? FILE : undefined;
    };
    const message = ["a problem with no place", "gone.yaml:2:1: is missing", "x.yaml:40:1: past the end", "x.yaml:2:1: versions is wrong"].join("\n");
    const out = withSourceLines(message, read).split("\n");
    expect(out.slice(0, 3)).toEqual(["a problem with no place", "gone.yaml:2:1: is missing", "x.yaml:40:1: past the end"]);
    expect(out.slice(3)).toEqual(["x.yaml:2:1: versions is wrong", "    2 | versions:", "      | ^"]);
    expect(reads).toEqual(["gone.yaml", "x.yaml"]);
  });

  it("keeps tabs before the column so the caret lines up", () => {
    expect(withSourceLines("t.yaml:1:3: bad", () => "\tx: 1").split("\n")[2]).toBe("      | \t ^");
  });
});
