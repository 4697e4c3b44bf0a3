import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../harness/common/paths.js";

const { LAYERS } = createRequire(import.meta.url)("../scripts/layers.cjs") as { LAYERS: string[][] };

/** Folders of harness/ that hold TypeScript files, as paths under harness/. */
function sourceFolders(dir = join(ROOT, "harness")): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir);
  if (entries.some((e) => e.endsWith(".ts"))) out.push(relative(join(ROOT, "harness"), dir));
  for (const e of entries) if (statSync(join(dir, e)).isDirectory()) out.push(...sourceFolders(join(dir, e)));
  return out;
}

describe("the harness's layers", () => {
  it("place every folder of harness/ in exactly one layer", () => {
    const placed = LAYERS.flat();
    expect(new Set(placed).size).toBe(placed.length);
    expect(sourceFolders().sort()).toEqual([...placed].sort());
  });

  it("are kept: dependency-cruiser finds no cycle and no import against them", () => {
    let output = "";
    try {
      output = execFileSync(join(ROOT, "node_modules/.bin/depcruise"), ["harness", "--config", ".dependency-cruiser.cjs", "--output-type", "err"], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(output).toContain("no dependency violations found");
  }, 60_000);
});
