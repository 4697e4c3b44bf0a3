import { describe, expect, it } from "vitest";
import type { BudgetExpectation } from "../scenario/scenario.js";
import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { minAvailableOf } from "./budget-expectation.js";
import { describeExpectation, judge, type Evidence } from "./checker.js";

const stamp = (e: object, t: number) => ({ ...e, t, at: "", specT: t }) as unknown as Stamped<TimelineEvent>;
const step = (name: string, t: number, end: number) => [stamp({ type: "step.started", step: name }, t), stamp({ type: "step.finished", step: name }, end)];
/** `pods`: [name, node, ready]. */
const observed = (t: number, pods: Array<[string, string, boolean]>, budget: { healthy: number; desiredHealthy?: number } | null = { healthy: pods.filter((p) => p[2]).length }) =>
  stamp(
    {
      type: "pods.observed",
      role: "production",
      endpoints: pods.filter((p) => p[2]).length,
      pods: pods.map(([name, node, ready]) => ({ name, node, ready, version: "good-1", phase: "Running", restarts: 0 })),
      ...(budget ? { budget: { minAvailable: 2, desiredHealthy: 2, allowed: Math.max(0, budget.healthy - 2), ...budget } } : {}),
    },
    t,
  );
const eviction = (t: number, pod: string, refusals: number) => stamp({ type: "node.eviction", node: "c-worker", pod: `ns/${pod}`, refusals, seconds: refusals }, t);
const evidence = (events: Array<Stamped<TimelineEvent>>): Evidence => ({ events, versions: new Map(), metrics: new Map() });
const expectation = (extra: Partial<BudgetExpectation> = {}): BudgetExpectation => ({ id: "budget", kind: "budget", version: "production", during: "drain", ...extra });

const before: Array<[string, string, boolean]> = [["a", "c-worker", true], ["b", "c-worker", true], ["c", "c-worker2", true]];

describe("judge: budget (the overlay's PodDisruptionBudget)", () => {
  const drained = [
    ...step("drain", 10, 60),
    observed(5, before),
    eviction(12, "a", 0),
    observed(13, [["b", "c-worker", true], ["c", "c-worker2", true], ["d", "c-worker2", false]]),
    observed(20, [["b", "c-worker", true], ["c", "c-worker2", true], ["d", "c-worker2", true]]),
    eviction(21, "b", 6),
    observed(22, [["c", "c-worker2", true], ["d", "c-worker2", true], ["e", "c-worker2", false]]),
    observed(30, [["c", "c-worker2", true], ["d", "c-worker2", true], ["e", "c-worker2", true]]),
  ];

  it("holds when a drain took the pods one at a time, never below minAvailable, with the evictions and where the pods went as evidence", () => {
    const j = judge(expectation({ evicted: { op: ">=", value: 2, text: ">=2" } }), evidence(drained));
    expect(j.held).toBe(true);
    expect(j.evidence).toBe(
      "fewest ready 2 at 13.0s (minAvailable 2), on c-worker (1), c-worker2 (1); the budget's own status: never fewer healthy than required (5 observation(s)); 2 of its pod(s) evicted by a drain (a from c-worker at 12.0s, b from c-worker at 21.0s), 6 eviction(s) refused by the budget, expected >=2 evicted; at the end 3/3 ready on c-worker2 (3)",
    );
  });

  it("fails when fewer pods were ready than the budget's minimum, even for a moment", () => {
    const broken = [...step("drain", 10, 60), observed(5, before), observed(13, [["c", "c-worker2", true], ["d", "c-worker2", false], ["e", "c-worker2", false]], { healthy: 1 }), observed(30, before)];
    const j = judge(expectation(), evidence(broken));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("MISMATCH fewest ready 1 at 13.0s (minAvailable 2)");
    expect(j.evidence).toContain("MISMATCH the budget's own status at 13.0s: 1 healthy of 2 required");
  });

  it("fails when the drain evicted fewer of the role's pods than asked: a budget never tested did not hold", () => {
    const j = judge(expectation({ evicted: { op: ">=", value: 1, text: ">=1" } }), evidence([...step("drain", 10, 60), observed(5, before), eviction(20, "someone-elses", 0), observed(30, before)]));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("MISMATCH 0 of its pod(s) evicted by a drain, 0 eviction(s) refused by the budget, expected >=1 evicted");
    const unrefused = judge(expectation({ refused: { op: ">=", value: 1, text: ">=1" } }), evidence([...step("drain", 10, 60), observed(5, before), eviction(20, "a", 0), observed(30, before)]));
    expect(unrefused.held).toBe(false);
    expect(unrefused.evidence).toContain("MISMATCH 0 refusal(s), expected >=1");
  });

  it("fails without a budget in the window, or without its step", () => {
    expect(judge(expectation(), evidence([...step("drain", 10, 60), observed(20, before, null)]))).toMatchObject({ held: false, evidence: "production has no PodDisruptionBudget in the window (the overlay has none)" });
    expect(judge(expectation(), evidence([observed(20, before)]))).toMatchObject({ held: false, evidence: "step drain never ran to its end, so there is nothing to judge" });
  });

  it("reads minAvailable as a count or a percentage rounded up, and says what it checks", () => {
    expect(minAvailableOf(2, 3)).toBe(2);
    expect(minAvailableOf("50%", 3)).toBe(2);
    expect(minAvailableOf("100%", 3)).toBe(3);
    expect(describeExpectation(expectation({ evicted: { op: ">=", value: 1, text: ">=1" } }))).toBe(
      "production's PodDisruptionBudget held during drain: never fewer ready pods than its minAvailable, with >=1 of its pods evicted by a drain",
    );
  });
});
