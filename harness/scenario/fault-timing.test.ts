import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScenarioFiles } from "../../test/support/scenario-files.js";
import { loadScenario } from "./load-scenario.js";

// A step's fault with `at` and `for` (spec time), and the kill fault, as the scenario reader takes them.

const files = new ScenarioFiles();
beforeAll(() => files.open("gameday-fault-timing-"));
afterAll(() => files.close());
const write = (text: string) => files.write(text);

/** Each problem as `path message` (without the file) with its `line:column`. */
function problems(text: string): Array<{ line: string; at: string }> {
  const r = files.loadError(text);
  return r.lines.map((line, i) => ({ line, at: r.positions[i]! }));
}

function scenario(fault: string, observe = "2m"): string {
  return `
name: timed
description: a fault in the middle of a step
versions:
  candidate: { image: app, tag: good-1, replicas: 2 }
steps:
  - name: baseline
    observe: 10s
  - name: crash
    fault: ${fault}
    observe: ${observe}
  - name: after
    undo: crash
    observe: 10s
expect:
  - probe: { role: candidate, path: /health, status: 200 }
`;
}

describe("a step's fault with at and for", () => {
  it("reads at and for as spec milliseconds beside the fault's own mapping", () => {
    const s = loadScenario(write(scenario("{ type: kill, role: candidate, instance: 1, at: 90s, for: 30s }")));
    expect(s.steps[1]).toEqual({ name: "crash", observeMs: 120_000, fault: { type: "kill", role: "candidate", instance: 1 }, faultAtMs: 90_000, faultForMs: 30_000 });
  });

  it("leaves both out when the fault has neither: injected at the step's start, until an undo step or the end of the run", () => {
    const s = loadScenario(write(scenario("{ type: kill, role: candidate }")));
    expect(s.steps[1]).toEqual({ name: "crash", observeMs: 120_000, fault: { type: "kill", role: "candidate", instance: 0 } });
  });

  it("takes at and for on any fault of the registry, in block style too", () => {
    const s = loadScenario(write(scenario("\n      type: set-faults\n      role: candidate\n      settings: { errorRate: 0.5 }\n      for: 1m")));
    expect(s.steps[1]).toMatchObject({ fault: { type: "set-faults", role: "candidate", settings: { errorRate: 0.5 } }, faultForMs: 60_000 });
    expect(s.steps[1]!.faultAtMs).toBeUndefined();
  });

  it("refuses an at beyond the step's observe time, at the at", () => {
    const text = scenario("{ type: kill, role: candidate, at: 90s }", "45s");
    const found = problems(text);
    const line = text.split("\n").findIndex((l) => l.includes("at: 90s")) + 1;
    const column = text.split("\n")[line - 1]!.indexOf("90s") + 1;
    expect(found).toEqual([{ line: "steps[1].fault.at must be within the step's observe time (45s), got 1m30s: the step would end before the fault starts", at: `${line}:${column}` }]);
  });

  it("refuses an at equal to the observe time: the fault would start as the step ends", () => {
    expect(problems(scenario("{ type: kill, role: candidate, at: 60s }", "60s")).map((p) => p.line)).toEqual([
      "steps[1].fault.at must be within the step's observe time (1m), got 1m: the step would end before the fault starts",
    ]);
  });

  it("refuses durations that are not durations, and a for of nothing", () => {
    expect(problems(scenario("{ type: kill, role: candidate, at: soon, for: 0s }")).map((p) => p.line)).toEqual([
      'steps[1].fault.at must be a duration like "600s", "5m" or "250ms", got "soon"',
      'steps[1].fault.for must be at least 1 ms, got "0s"',
    ]);
  });

  it("reports problems of the fault's mapping and of its timing together, in the file's order", () => {
    expect(problems(scenario("{ type: kill, role: candidate, instance: -1, at: later }")).map((p) => p.line)).toEqual([
      "steps[1].fault.instance must be an integer >= 0, got number -1",
      'steps[1].fault.at must be a duration like "600s", "5m" or "250ms", got "later"',
    ]);
    expect(problems(scenario("{ type: kill, role: canddate, for: 1m }")).map((p) => p.line)).toEqual([
      'steps[1].fault.role must name a version declared under versions (candidate), got "canddate"',
    ]);
  });

  it("keeps a misspelt at or for an unknown field of the fault", () => {
    expect(problems(scenario("{ type: kill, role: candidate, att: 5s }")).map((p) => p.line)).toEqual([
      expect.stringMatching(/^steps\[1\]\.fault\.att is not a known field/),
    ]);
  });

  it("names at and for among a fault's known fields when a key is misspelt", () => {
    const [p] = problems(scenario("{ type: kill, role: candidate, att: 5s }"));
    expect(p!.line).toMatch(/^steps\[1\]\.fault\.att is not a known field \(did you mean "at"\?\); known fields: .*\bat\b.*\bfor\b/);
  });
});
