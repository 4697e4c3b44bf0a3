import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { docker } from "../../harness/engine/docker.js";
import { ImageBuilder } from "../../harness/images/builder.js";
import { REPO, type ImageSpec } from "../../harness/images/catalog.js";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("images", 1); // image builds

// Local image builds: cached by recipe hash, rebuilt only when the recipe changes.
const ref = `${REPO}/app:test-variant-${randomBytes(3).toString("hex")}`;
const variant = (env: Record<string, string>): ImageSpec => ({ kind: "variant", name: "app:test-variant", ref, base: "app", env, description: "test" });

afterAll(async () => {
  await docker().getImage(ref).remove({ force: true }).catch(() => undefined);
});

describe("image builder", () => {
  it("does no work when no recipe changed (every catalog image is cached or upstream)", async () => {
    const events: string[] = [];
    const builder = new ImageBuilder({ pull: false, emit: (e) => void events.push(e.type) });
    const resolved = await Promise.all(builder.names().map((n) => builder.ensure(n)));
    expect(resolved.map((r) => r.source).filter((s) => s === "built")).toEqual([]);
    expect(events).not.toContain("image.building");
    for (const r of resolved) expect((await docker().getImage(r.ref).inspect()).Id).toMatch(/^sha256:/);
  });

  it("builds a new recipe once, reuses it, and rebuilds when the recipe changes", async () => {
    const first = await new ImageBuilder({ pull: false, extra: [variant({ GREETING: "one" })] }).ensure("app:test-variant");
    expect(first.source).toBe("built");
    const again = await new ImageBuilder({ pull: false, extra: [variant({ GREETING: "one" })] }).ensure("app:test-variant");
    expect(again.source).toBe("cached");
    expect(again.hash).toBe(first.hash);
    const changed = await new ImageBuilder({ pull: false, extra: [variant({ GREETING: "two" })] }).ensure("app:test-variant");
    expect(changed.source).toBe("built");
    expect(changed.hash).not.toBe(first.hash);
    const env = (await docker().getImage(ref).inspect()).Config.Env;
    expect(env).toContain("GREETING=two");
  });

  it("reports status without building", async () => {
    const builder = new ImageBuilder({ pull: false });
    expect((await builder.status("app:good-1")).state).toBe("current");
    expect(["current", "upstream"]).toContain((await builder.status("postgres")).state);
  });
});
