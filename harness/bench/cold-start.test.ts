import { describe, expect, it } from "vitest";
import { imagesWithBases } from "./cold-start.js";

describe("imagesWithBases: what a cold run must build again", () => {
  it("adds every image the named ones are built on, once", () => {
    expect(imagesWithBases(["postgres", "haproxy", "prometheus", "app:good-1", "app:erroring-1"]).sort()).toEqual(
      ["app", "app:erroring-1", "app:good-1", "base", "haproxy", "postgres", "prometheus"].sort(),
    );
  });
  it("leaves out a name the catalog does not know", () => {
    expect(imagesWithBases(["no-such-image"])).toEqual([]);
  });
});
