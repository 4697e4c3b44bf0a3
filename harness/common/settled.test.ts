import { describe, expect, it } from "vitest";
import { allSettledOrThrow } from "./settled.js";

describe("allSettledOrThrow", () => {
  it("gives every value in order", async () => {
    expect(await allSettledOrThrow([Promise.resolve(1), Promise.resolve("a")] as const)).toEqual([1, "a"]);
  });

  it("rejects with the first failure, only once every part has settled", async () => {
    let slowDone = false;
    const slow = new Promise<number>((resolve) => setTimeout(() => ((slowDone = true), resolve(2)), 30));
    await expect(allSettledOrThrow([Promise.reject(new Error("first")), slow, Promise.reject(new Error("second"))] as const)).rejects.toThrow("first");
    expect(slowDone).toBe(true);
  });
});
