import { describe, expect, it } from "vitest";
import { evenShares, serverWeights, sharesFromWeights, type ServerRef } from "./weights.js";

function servers(stable: number, candidate: number): ServerRef[] {
  return [
    ...Array.from({ length: stable }, (_, i) => ({ server: `stable-${i}`, role: "stable" })),
    ...Array.from({ length: candidate }, (_, i) => ({ server: `candidate-${i}`, role: "candidate" })),
  ];
}

function expectValidWeights(weights: Record<string, number>): void {
  for (const w of Object.values(weights)) {
    expect(Number.isInteger(w)).toBe(true);
    expect(w).toBeGreaterThanOrEqual(0);
    expect(w).toBeLessThanOrEqual(256);
  }
}

describe("serverWeights", () => {
  it("gives 90/10 over one stable and one candidate server in the ratio 9:1", () => {
    const w = serverWeights({ stable: 90, candidate: 10 }, servers(1, 1));
    expect(Object.keys(w).sort()).toEqual(["candidate-0", "stable-0"]);
    expectValidWeights(w);
    expect(w["candidate-0"]).toBeGreaterThan(0);
    expect(w["stable-0"]! / w["candidate-0"]!).toBe(9);
  });

  it("spreads a role's share over its servers, keeping the role shares exact", () => {
    const refs = servers(2, 1);
    const w = serverWeights({ stable: 90, candidate: 10 }, refs);
    expectValidWeights(w);
    // Each stable server takes 45%, the candidate 10%.
    expect(w["stable-0"]).toBe(w["stable-1"]);
    expect(w["stable-0"]! / w["candidate-0"]!).toBe(4.5);
    expect(sharesFromWeights(w, refs)).toEqual({ stable: 90, candidate: 10 });
  });

  it("sends everything to one role with 0/100, and back with 100/0", () => {
    const refs = servers(2, 2);
    const all = serverWeights({ stable: 0, candidate: 100 }, refs);
    expectValidWeights(all);
    expect(all["stable-0"]).toBe(0);
    expect(all["stable-1"]).toBe(0);
    expect(all["candidate-0"]).toBeGreaterThan(0);
    expect(all["candidate-0"]).toBe(all["candidate-1"]);
    expect(sharesFromWeights(all, refs)).toEqual({ stable: 0, candidate: 100 });

    const none = serverWeights({ stable: 100, candidate: 0 }, refs);
    expect(none["candidate-0"]).toBe(0);
    expect(none["candidate-1"]).toBe(0);
    expect(sharesFromWeights(none, refs)).toEqual({ stable: 100, candidate: 0 });
  });

  it("allows a role with no servers when its share is 0", () => {
    const refs = servers(2, 0);
    const w = serverWeights({ stable: 100, candidate: 0 }, refs);
    expect(w["stable-0"]).toBeGreaterThan(0);
    expect(w["stable-0"]).toBe(w["stable-1"]);
  });

  it.each([
    [{ stable: 90, candidate: 20 }, "110"],
    [{ stable: 50, candidate: 40 }, "90"],
    [{ stable: 0, candidate: 0 }, "0"],
  ])("throws when the shares %j do not add up to 100", (shares, total) => {
    expect(() => serverWeights(shares, servers(1, 1))).toThrow(`traffic shares must add up to 100%, got ${total}%`);
  });

  it("throws when a role with a share has no server", () => {
    expect(() => serverWeights({ stable: 90, candidate: 10 }, servers(2, 0))).toThrow('no server for version "candidate", which should get 10% of the traffic');
    expect(() => serverWeights({ stable: 50, candidate: 50 }, [])).toThrow(/no server for version "stable"/);
  });

  it("keeps weights within 0..256 for awkward splits, within a percentage point", () => {
    for (const [stable, candidate, share] of [
      [3, 7, 67],
      [3, 7, 33.3],
      [3, 7, 100 / 3],
      [7, 3, 1],
      [5, 1, 99],
      [4, 3, 12.5],
    ] as const) {
      const refs = servers(stable, candidate);
      const w = serverWeights({ stable: 100 - share, candidate: share }, refs);
      expectValidWeights(w);
      const back = sharesFromWeights(w, refs);
      expect(Math.abs(back.candidate! - share), `${stable}+${candidate} servers at ${share}%: ${JSON.stringify(w)}`).toBeLessThanOrEqual(1);
      expect(Math.abs(back.stable! - (100 - share))).toBeLessThanOrEqual(1);
    }
  });

  it("round-trips every whole-percent split over 1..5 servers per role within a percentage point", () => {
    for (let s = 1; s <= 5; s++) {
      for (let c = 1; c <= 5; c++) {
        const refs = servers(s, c);
        for (let p = 0; p <= 100; p++) {
          const w = serverWeights({ stable: 100 - p, candidate: p }, refs);
          expectValidWeights(w);
          // A role with a share keeps every server in rotation; a role without one gets none.
          for (const ref of refs) {
            const share = ref.role === "candidate" ? p : 100 - p;
            if (share > 0) expect(w[ref.server]).toBeGreaterThan(0);
            else expect(w[ref.server]).toBe(0);
          }
          expect(Math.abs(sharesFromWeights(w, refs).candidate! - p)).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it("gives servers of a role no share when the role is not in the shares", () => {
    const refs = [...servers(1, 1), { server: "old-0", role: "old" }];
    const w = serverWeights({ stable: 50, candidate: 50 }, refs);
    expect(w["old-0"]).toBe(0);
    expect(w["stable-0"]).toBe(w["candidate-0"]);
  });
});

describe("sharesFromWeights", () => {
  it("sums the weights per role as percent, rounded to 0.1", () => {
    const refs = servers(2, 1);
    expect(sharesFromWeights({ "stable-0": 1, "stable-1": 1, "candidate-0": 1 }, refs)).toEqual({ stable: 66.7, candidate: 33.3 });
    expect(sharesFromWeights({ "stable-0": 100, "stable-1": 100, "candidate-0": 0 }, refs)).toEqual({ stable: 100, candidate: 0 });
  });

  it("counts a server the router did not report as weight 0", () => {
    expect(sharesFromWeights({ "stable-0": 3 }, servers(1, 1))).toEqual({ stable: 100, candidate: 0 });
  });

  it("reports 0 for every role when all weights are 0", () => {
    expect(sharesFromWeights({ "stable-0": 0, "candidate-0": 0 }, servers(1, 1))).toEqual({ stable: 0, candidate: 0 });
  });
});

describe("evenShares", () => {
  it("gives every role the same share, adding up to exactly 100", () => {
    expect(evenShares(["stable"])).toEqual({ stable: 100 });
    const three = evenShares(["a", "b", "c"]);
    expect(Object.values(three).reduce((x, y) => x + y, 0)).toBe(100);
    expect(() => serverWeights(three, [{ server: "a", role: "a" }, { server: "b", role: "b" }, { server: "c", role: "c" }])).not.toThrow();
  });
});
