import { describe, expect, it } from "vitest";
import type { RestartsExpectation } from "../scenario/scenario.js";
import { evidenceOf, stamp } from "../../test/support/evidence.js";
import { judge } from "./checker.js";

function restarts(over: Partial<RestartsExpectation> = {}): RestartsExpectation {
  return { id: "crash-looped", kind: "restarts", version: "stable", instance: 0, during: "crash", count: { op: ">=", value: 3, text: ">=3" }, ...over };
}

const BY = "the kubelet (restartPolicy Always)";
const restarted = (t: number, n: number, over: { instance?: number; role?: string; waiting?: string } = {}) =>
  stamp(t, { type: "instance.restarted", role: over.role ?? "stable", instance: over.instance ?? 0, name: "stable-abc", restarts: n, by: BY, ...(over.waiting ? { waiting: over.waiting } : {}) });
const step = (from: number, to: number) => [stamp(from, { type: "step.started", step: "crash", kind: "observe" }), stamp(to, { type: "step.finished", step: "crash", kind: "observe", wallSeconds: to - from })];

describe("judge: restarts expectations", () => {
  it("counts the platform's restarts of the instance in the step, with their times and the gaps between them", () => {
    const [start, end] = step(10, 100);
    const j = judge(restarts(), evidenceOf([start!, restarted(11, 1), restarted(21.5, 2, { waiting: "CrashLoopBackOff" }), restarted(42, 3, { waiting: "CrashLoopBackOff" }), end!]));
    expect(j.held).toBe(true);
    expect(j.evidence).toBe(`3 restart(s) of stable-0 in crash at 11.0s, 21.5s, 42.0s by ${BY}; 10.5s, 20.5s between them, expected >=3`);
    expect(j.description).toBe("the platform restarts stable-0 >=3 time(s) during crash");
  });

  it("is not held with too few restarts, or with restarts of another instance, role or step only", () => {
    const [start, end] = step(10, 100);
    const others = [restarted(5, 1), restarted(12, 1, { instance: 1 }), restarted(13, 1, { role: "candidate" }), restarted(120, 2)];
    const j = judge(restarts(), evidenceOf([start!, ...others, restarted(20, 2), end!]));
    expect(j.held).toBe(false);
    expect(j.evidence).toBe(`1 restart(s) of stable-0 in crash at 20.0s by ${BY}, expected >=3`);
    expect(judge(restarts({ count: { op: "==", value: 0, text: "0" } }), evidenceOf([start!, ...others, end!])).held).toBe(true);
  });

  it("needs the waiting reason it names to be shown before a restart", () => {
    const [start, end] = step(0, 100);
    const events = [start!, restarted(1, 1), restarted(12, 2, { waiting: "restarting" }), restarted(33, 3, { waiting: "restarting" }), end!];
    const j = judge(restarts({ waiting: "CrashLoopBackOff" }), evidenceOf(events));
    expect(j.held).toBe(false);
    expect(j.evidence).toMatch(/waiting never shown as CrashLoopBackOff \(shown: restarting\)$/);
    expect(judge(restarts({ waiting: "restarting" }), evidenceOf(events)).evidence).toMatch(/waiting as restarting before 2 of them$/);
  });

  it("is not held when its step never ran", () => {
    expect(judge(restarts(), evidenceOf([restarted(1, 1)]))).toMatchObject({ held: false, evidence: "step crash never ran to its end, so there is nothing to judge" });
  });
});
