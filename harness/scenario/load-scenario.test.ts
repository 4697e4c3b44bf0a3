import { readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScenarioFiles } from "../../test/support/scenario-files.js";
import { HarnessError } from "../common/errors.js";
import { displayPath, listScenarios, loadScenario, loadScenarioWithWarnings, resolveScenarioPath, resolveScenarioPaths, SCENARIO_DIR } from "./load-scenario.js";
import { platformMessage } from "./schema-steps.js";
import { EXPECTATION_KINDS } from "./schema-expectations.js";
import { ACTION_TYPES } from "../actions/registry.js";
import { FAULT_TYPES } from "../faults/registry.js";

const files = new ScenarioFiles();
beforeAll(() => files.open());
afterAll(() => files.close());
const write = (text: string, name?: string) => files.write(text, name);
const loadError = (text: string) => files.loadError(text);

const MINIMAL = `
name: minimal
description: the smallest scenario there is
versions:
  stable: { image: app, tag: good-1 }
steps:
  - name: baseline
    observe: 3s
expect:
  - probe: { role: stable, path: /health, status: 200 }
`;

/** A valid scenario to break one piece of at a time. */
const FULL = `
name: db-outage
description: ready turns 503 while the database is paused
versions:
  stable: { image: app, tag: good-1, replicas: 2 }
  candidate:
    image: app
    tag: good-2
    faults: { errorRate: 0.5, latencyMs: 20 }
monitor:
  interval: 200ms
  targets:
    - { role: stable, paths: [/health, /ready] }
steps:
  - name: baseline
    observe: 3s
  - name: outage
    fault: { type: database-pause }
    observe: 5s
  - name: slow-candidate
    fault: { type: set-faults, role: candidate, settings: { latencyMs: 100 } }
    observe: 1m
  - name: recovered
    undo: outage
    observe: 4s
expect:
  - id: ready-before
    probe: { role: stable, path: /ready, status: 200, during: baseline }
  - id: unready-during
    description: ready is 503 naming the database
    probe: { role: stable, path: /ready, status: 503, during: outage, within: 2s, failing: database }
  - id: counted
    metrics: { role: stable, route: /health }
`;

describe("loadScenario", () => {
  it("loads a minimal scenario with defaults", () => {
    const file = write(MINIMAL);
    const s = loadScenario(file);
    expect(s.file).toBe(displayPath(file));
    expect(s.name).toBe("minimal");
    expect(s.description).toBe("the smallest scenario there is");
    expect(s.platform).toBe("docker");
    expect(s.timeScale).toBe(1);
    expect(s.database).toBe(true);
    expect(s.monitor).toEqual({ intervalMs: 500, targets: [] });
    // Replicas left out come from the environment (1 without one), and so does any autoscaling.
    expect([...s.versions]).toEqual([["stable", { role: "stable", image: "app", tag: "good-1", replicas: 1, replicasFromEnvironment: true, faults: {} }]]);
    expect(s.steps).toEqual([{ name: "baseline", observeMs: 3_000 }]);
    expect(s.expectations).toEqual([{ id: "expectation-1", kind: "probe", version: "stable", path: "/health", status: 200 }]);
  });

  it("polls every 500 ms when the monitor names targets but no interval", () => {
    const s = loadScenario(write(MINIMAL + "monitor:\n  targets:\n    - { role: stable, paths: [/health] }\n"));
    expect(s.monitor).toEqual({ intervalMs: 500, targets: [{ version: "stable", paths: ["/health"] }] });
  });

  it("reads every field of a full scenario", () => {
    const s = loadScenario(write(FULL + "timeScale: 0.01\ndatabase: true\nplatform: docker\n"));
    expect(s.timeScale).toBe(0.01);
    expect(s.database).toBe(true);
    expect(loadScenario(write(MINIMAL + "database: false\n")).database).toBe(false);
    expect(s.versions.get("stable")?.replicas).toBe(2);
    expect(s.versions.get("candidate")?.faults).toEqual({ errorRate: 0.5, latencyMs: 20 });
    expect(s.monitor).toEqual({ intervalMs: 200, targets: [{ version: "stable", paths: ["/health", "/ready"] }] });
    expect(s.steps).toEqual([
      { name: "baseline", observeMs: 3_000 },
      { name: "outage", fault: { type: "database-pause" }, observeMs: 5_000 },
      { name: "slow-candidate", fault: { type: "set-faults", role: "candidate", settings: { latencyMs: 100 } }, observeMs: 60_000 },
      { name: "recovered", undo: "outage", observeMs: 4_000 },
    ]);
    expect(s.expectations).toEqual([
      { id: "ready-before", kind: "probe", version: "stable", path: "/ready", status: 200, during: "baseline" },
      {
        id: "unready-during",
        description: "ready is 503 naming the database",
        kind: "probe",
        version: "stable",
        path: "/ready",
        status: 503,
        during: "outage",
        withinMs: 2_000,
        failing: "database",
      },
      { id: "counted", kind: "metrics", version: "stable", route: "/health" },
    ]);
  });

  it("shows a file inside the working directory by its relative path, others as they are", () => {
    expect(displayPath(join(process.cwd(), "scenarios", "x.yaml"))).toBe(join("scenarios", "x.yaml"));
    const outside = join(files.folder, "x.yaml");
    expect(displayPath(outside)).toBe(relative(process.cwd(), outside).startsWith("..") ? outside : relative(process.cwd(), outside));
    expect(displayPath(outside).startsWith("..")).toBe(false);
  });

  it("names the dotted path of a bad duration", () => {
    const { lines } = loadError(MINIMAL.replace("observe: 3s", "observe: 3 seconds"));
    expect(lines).toEqual(['steps[0].observe must be a duration like "600s", "5m" or "250ms", got "3 seconds"']);
    const { lines: inFull } = loadError(FULL.replace("observe: 1m", "observe: soon"));
    expect(inFull).toEqual(['steps[2].observe must be a duration like "600s", "5m" or "250ms", got "soon"']);
  });

  it("points at the right list entry even when an earlier entry could not be read", () => {
    // steps[1] has a bad duration, so it is left out; the bad undo is still steps[3].
    const steps = loadError(FULL.replace("observe: 5s", "observe: 5x").replace("undo: outage", "undo: baseline")).lines;
    expect(steps).toContain('steps[1].observe must be a duration like "600s", "5m" or "250ms", got "5x"');
    expect(steps).toContain('steps[3].undo names step "baseline", which has no fault to undo');
    expect(steps.some((l) => l.startsWith("steps[2]."))).toBe(false);
    // expect[0] has no status, so it is left out; the repeated id is still expect[2].
    const ids = loadError(FULL.replace("status: 200, during: baseline", "during: baseline").replace("id: counted", "id: unready-during")).lines;
    expect(ids).toEqual(["expect[0].probe.status is missing: expected a number", 'expect[2].id repeats the id "unready-during": ids must be unique']);
  });

  it("suggests the known field for a misspelt key", () => {
    const { lines } = loadError(MINIMAL.replace("description:", "descripton:"));
    expect(lines).toContainEqual(expect.stringMatching(/^descripton is not a known field \(did you mean "description"\?\); known fields: name, description, /));
    expect(lines).toContainEqual("description is missing: expected a string");
  });

  it("names nested unknown keys with their full path", () => {
    const { lines } = loadError(FULL.replace("status: 503, during: outage", "statuss: 503, during: outage"));
    expect(lines).toContainEqual(expect.stringMatching(/^expect\[1\]\.probe\.statuss is not a known field \(did you mean "status"\?\)/));
    expect(lines).toContainEqual("expect[1].probe.status is missing: expected a number");
  });

  it("names an unknown scenario with the name it probably meant", () => {
    expect(() => resolveScenarioPath("canry-fail")).toThrow(/no scenario named "canry-fail" \(did you mean "canary-fail"\?\)/);
  });

  it("reads a relative path from where the user ran the command (npm's INIT_CWD), and a folder as its .yaml files", () => {
    const file = write(MINIMAL, "in-folder.yaml");
    const folder = dirname(file);
    const before = process.env.INIT_CWD;
    process.env.INIT_CWD = folder;
    try {
      expect(resolveScenarioPath("in-folder.yaml")).toBe(file);
      expect(resolveScenarioPaths(".")).toContain(file);
      expect(resolveScenarioPaths(".").every((f) => f.endsWith(".yaml") || f.endsWith(".yml"))).toBe(true);
    } finally {
      if (before === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = before;
    }
  });

  it("rejects a tag that names no version the harness builds, before anything starts, with the known ones", () => {
    const { lines } = loadError(MINIMAL.replace("tag: good-1", "tag: erroring-2"));
    expect(lines).toEqual(['versions.stable.tag must be a version of the reference service in fixtures/app/versions.yaml (good-1, good-2, erroring-1, slow-1, crashing-1), got "erroring-2" (did you mean "erroring-1"?)']);
  });

  it("rejects a probe on a version role that is not declared", () => {
    const { lines } = loadError(MINIMAL.replace("probe: { role: stable", "probe: { role: canary"));
    expect(lines).toEqual(['expect[0].probe.role must name a version declared under versions (stable), got "canary"']);
  });

  it("rejects `during` naming a step that does not exist", () => {
    const { lines } = loadError(FULL.replace("status: 200, during: baseline", "status: 200, during: base-line"));
    expect(lines).toEqual(['expect[0].probe.during must name a step (baseline, outage, slow-candidate, recovered), got "base-line"']);
  });

  it("rejects `undo` naming a step without a fault", () => {
    const { lines } = loadError(FULL.replace("undo: outage", "undo: baseline"));
    expect(lines).toEqual(['steps[3].undo names step "baseline", which has no fault to undo']);
  });

  it("rejects `undo` naming a step that does not exist or comes later", () => {
    expect(loadError(FULL.replace("undo: outage", "undo: nowhere")).lines).toEqual(['steps[3].undo must name an earlier step with a fault, got "nowhere"']);
    const later = FULL.replace("  - name: baseline\n    observe: 3s\n", "  - name: baseline\n    undo: outage\n    observe: 3s\n");
    expect(loadError(later).lines).toEqual(['steps[0].undo must name an earlier step with a fault, got "outage"']);
  });

  it("rejects duplicate expectation ids and step names", () => {
    const { lines } = loadError(FULL.replace("id: counted", "id: ready-before").replace("name: recovered", "name: baseline"));
    expect(lines).toContain('expect[2].id repeats the id "ready-before": ids must be unique');
    expect(lines).toContain('steps[3].name repeats the step name "baseline": names must be unique');
  });

  it("reports invalid YAML as one line with its line, column and source line", () => {
    const { lines, positions } = loadError("name: broken\ndescription: x\nsteps:\n  - name: a\n   observe: [1s\n");
    expect(lines).toEqual([expect.stringMatching(/^is not valid YAML: .+ in "   observe: \[1s"$/)]);
    expect(Number(positions[0]!.split(":")[0])).toBe(5);
  });

  it("reports a duplicated key as invalid YAML naming its line", () => {
    const { lines, positions } = loadError("name: a\ndescription: b\nname: c\n");
    expect(lines).toEqual([expect.stringMatching(/^is not valid YAML: .*unique.* in "name: c"$/i)]);
    expect(positions).toEqual(["3:1"]);
  });

  it.each(["", "\n\n", "# only a comment\n"])("says an empty file (%j) is empty, in one line", (text) => {
    const { lines, positions } = loadError(text);
    expect(lines).toEqual([expect.stringMatching(/^is empty: a scenario needs name, description, versions/)]);
    expect(positions).toEqual([""]);
  });

  it("reports several problems at once", () => {
    const text = FULL.replace("description:", "descripton:")
      .replace("observe: 5s", "observe: 5x")
      .replace("tag: good-2", "tag: Good 2")
      .replace("errorRate: 0.5", "errorRate: 2")
      .replace("type: database-pause", "type: database-paws")
      .replace("interval: 200ms", "interval: 1ms")
      .replace("replicas: 2", "replicas: 0")
      .replace("path: /ready, status: 200", "path: ready, status: 200");
    const { error, lines } = loadError(text);
    expect(lines.length).toBeGreaterThanOrEqual(9);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^descripton is not a known field \(did you mean "description"\?\)/),
        "description is missing: expected a string",
        "versions.stable.replicas must be an integer >= 1 and <= 10, got number 0",
        'versions.candidate.tag must be a version of the reference service like "good-1", got "Good 2"',
        "versions.candidate.faults.errorRate must be a number >= 0 and <= 1, got number 2",
        'monitor.interval must be at least 10 ms, got "1ms"',
        `steps[1].fault.type must be one of ${FAULT_TYPES.join(", ")}, got "database-paws" (did you mean "database-pause"?)`,
        'steps[1].observe must be a duration like "600s", "5m" or "250ms", got "5x"',
        'expect[0].probe.path must be an absolute path like "/ready", got "ready"',
      ]),
    );
    expect(error.hint).toContain("--validate");
  });

  it("reports problems at the top level and in shapes", () => {
    expect(loadError("- just\n- a list\n").lines).toContain("(top level) must be a mapping (key: value), got a list");
    const { lines } = loadError("name: x\ndescription: y\nversions: {}\nsteps: []\nexpect: []\n");
    expect(lines).toEqual([
      "versions must name at least one version, e.g. stable: { image: app, tag: good-1 }",
      "steps must not be empty",
      "expect must not be empty",
    ]);
  });

  it("requires exactly one of probe and metrics in an expectation", () => {
    const both = MINIMAL.replace("  - probe: { role: stable, path: /health, status: 200 }", "  - probe: { role: stable, path: /health, status: 200 }\n    metrics: { role: stable, route: /health }");
    expect(loadError(both).lines).toEqual([`expect[0] must have exactly one of ${EXPECTATION_KINDS.join(", ")}; got probe and metrics`]);
    const none = MINIMAL.replace("  - probe: { role: stable, path: /health, status: 200 }", "  - id: lonely");
    expect(loadError(none).lines).toEqual([`expect[0] must have exactly one of ${EXPECTATION_KINDS.join(", ")}; got none`]);
  });

  it("takes a notified expectation only where a strategy can roll back, with a channel and a duration", () => {
    const notified = MINIMAL.replace("  - probe: { role: stable, path: /health, status: 200 }", "  - notified: { channel: slack, within: 60s }");
    expect(loadError(notified).lines).toEqual(["expect[0].notified needs a strategy: set strategy: canary or strategy: blue-green"]);
    const shipped = loadScenario(join(SCENARIO_DIR, "rollback-notifies.yaml"));
    expect(shipped.expectations.filter((e) => e.kind === "notified")).toEqual([
      expect.objectContaining({ id: "slack-channel-told", channel: "slack", withinMs: 60_000 }),
      expect.objectContaining({ id: "ops-team-mailed", channel: "email", withinMs: 60_000 }),
    ]);
  });

  it("requires `during` for `within` and rejects a step with both fault and undo", () => {
    const within = MINIMAL.replace("status: 200 }", "status: 200, within: 2s }");
    expect(loadError(within).lines).toEqual(["expect[0].probe.within needs during: the step whose start it counts from"]);
    const both = FULL.replace("undo: outage", "undo: outage\n    fault: { type: database-stop }");
    expect(loadError(both).lines).toEqual(["steps[3] has more than one of fault, undo and action: use one step for each"]);
  });
});

/** A scenario for the kind platform, with the operator's actions and the cluster's expectations. */
const KIND = `
name: kind-actions
description: a release rolled out, undone, and a pod deleted
platform: kind
versions:
  stable: { image: app, tag: good-1 }
steps:
  - name: baseline
    observe: 30s
  - name: release
    action: { type: rollout, role: stable, tag: good-2 }
    observe: 100s
  - name: undo
    action: { type: rollout-undo, role: stable }
    observe: 10s
  - name: kill
    action: { type: delete-pod, role: stable }
    observe: 50s
expect:
  - id: ready-at-baseline
    pods: { role: stable, during: baseline, ready: all, endpoints: all, restarted: false, tag: good-1 }
`;

/** KIND with its expectations replaced by `expect` (YAML list entries, indented by two). */
const kindWith = (expectations: string) => KIND.replace(/expect:\n[\s\S]*$/, `expect:\n${expectations}\n`);

describe("loadScenario: Kubernetes actions and expectations", () => {
  it("reads rollout, rollout-undo and delete-pod actions", () => {
    const s = loadScenario(write(KIND));
    expect(s.platform).toBe("kind");
    expect(s.steps).toEqual([
      { name: "baseline", observeMs: 30_000 },
      { name: "release", action: { type: "rollout", role: "stable", tag: "good-2" }, observeMs: 100_000 },
      { name: "undo", action: { type: "rollout-undo", role: "stable" }, observeMs: 10_000 },
      { name: "kill", action: { type: "delete-pod", role: "stable" }, observeMs: 50_000 },
    ]);
    expect(s.expectations).toEqual([
      { id: "ready-at-baseline", kind: "pods", version: "stable", during: "baseline", ready: "all", endpoints: "all", restarted: false, tag: "good-1" },
    ]);
  });

  it("rejects an unknown action type, naming its path", () => {
    const { lines } = loadError(KIND.replace("type: delete-pod", "type: scale-down"));
    expect(lines).toEqual([`steps[3].action.type must be one of ${ACTION_TYPES.join(", ")}, got "scale-down"`]);
    const near = loadError(KIND.replace("type: rollout-undo", "type: rollout-udno")).lines;
    expect(near).toEqual([`steps[2].action.type must be one of ${ACTION_TYPES.join(", ")}, got "rollout-udno" (did you mean "rollout-undo"?)`]);
  });

  it("rejects a rollout without a tag and a tag on another action", () => {
    expect(loadError(KIND.replace("{ type: rollout, role: stable, tag: good-2 }", "{ type: rollout, role: stable }")).lines).toEqual([
      "steps[1].action.tag is missing: expected a string",
    ]);
    expect(loadError(KIND.replace("{ type: delete-pod, role: stable }", "{ type: delete-pod, role: stable, tag: good-2 }")).lines).toEqual([
      expect.stringMatching(/^steps\[3\]\.action\.tag is not a known field/),
    ]);
  });

  it("rejects an action on a version that is not declared", () => {
    const { lines } = loadError(KIND.replace("{ type: rollout-undo, role: stable }", "{ type: rollout-undo, role: canary }"));
    expect(lines).toEqual(['steps[2].action.role must name a version declared under versions (stable), got "canary"']);
  });

  it("rejects a step with both an action and a fault", () => {
    const { lines } = loadError(KIND.replace("action: { type: delete-pod, role: stable }", "action: { type: delete-pod, role: stable }\n    fault: { type: database-stop }"));
    expect(lines).toEqual(["steps[3] has more than one of fault, undo and action: use one step for each"]);
  });

  it("reads pods expectations counting all, none or a number of pods", () => {
    const s = loadScenario(
      write(
        kindWith(
          [
            "  - pods: { role: stable, during: release, within: 50s, ready: none, endpoints: 0 }",
            "  - pods: { role: stable, during: kill, ready: 2, restarted: true }",
            "  - pods: { role: stable, tag: good-1 }",
          ].join("\n"),
        ),
      ),
    );
    expect(s.expectations).toEqual([
      { id: "expectation-1", kind: "pods", version: "stable", during: "release", withinMs: 50_000, ready: "none", endpoints: 0 },
      { id: "expectation-2", kind: "pods", version: "stable", during: "kill", ready: 2, restarted: true },
      { id: "expectation-3", kind: "pods", version: "stable", tag: "good-1" },
    ]);
  });

  it("rejects a count that is not all, none or a number of pods, naming its path", () => {
    expect(loadError(kindWith("  - pods: { role: stable, ready: some, tag: good-1 }")).lines).toEqual(['expect[0].pods.ready must be all, none or a number of pods, got "some"']);
    expect(loadError(kindWith("  - pods: { role: stable, endpoints: -1, tag: good-1 }")).lines).toEqual(["expect[0].pods.endpoints must be an integer >= 0, got number -1"]);
    expect(loadError(kindWith("  - pods: { role: stable, ready: 1.5, tag: good-1 }")).lines).toEqual(["expect[0].pods.ready must be an integer >= 0, got number 1.5"]);
    expect(loadError(kindWith("  - pods: { role: stable, ready: \"3\", tag: good-1 }")).lines).toEqual(['expect[0].pods.ready must be all, none or a number of pods, got "3"']);
    // As the only check, the bad count is still named by its path.
    expect(loadError(kindWith("  - pods: { role: stable, ready: some }")).lines).toContain('expect[0].pods.ready must be all, none or a number of pods, got "some"');
  });

  it("rejects a pods expectation with nothing to check", () => {
    const { lines } = loadError(kindWith("  - pods: { role: stable, during: baseline }"));
    expect(lines).toEqual(["expect[0].pods must say what to check: one or more of ready, endpoints, restarted, tag"]);
  });

  it("rejects `within` without `during` and `during` naming no step in a pods expectation", () => {
    expect(loadError(kindWith("  - pods: { role: stable, within: 20s, ready: all }")).lines).toEqual(["expect[0].pods.within needs during: the step whose start it counts from"]);
    expect(loadError(kindWith("  - pods: { role: stable, during: relase, ready: all }")).lines).toEqual([
      'expect[0].pods.during must name a step (baseline, release, undo, kill), got "relase"',
    ]);
  });

  it("reads a deployment expectation with the scenario's environment", () => {
    const s = loadScenario(write(kindWith("  - id: matches-document\n    deployment: { role: stable }").replace("platform: kind", "platform: kind\nenvironment: production")));
    expect(s.environment).toBe("production");
    expect(s.expectations).toEqual([{ id: "matches-document", kind: "deployment", version: "stable" }]);
  });

  it("reads secret rotation (rotation: true or a number of times) and its expectation", () => {
    const s = loadScenario(write(kindWith("  - rotation: { completed: 1 }\n  - rotation: { completed: \">=2\" }").replace("platform: kind", "platform: kind\nrotation: true")));
    expect(s.rotation).toEqual({});
    expect(s.expectations).toEqual([
      { id: "expectation-1", kind: "rotation", completed: { op: "==", value: 1, text: "1" } },
      { id: "expectation-2", kind: "rotation", completed: { op: ">=", value: 2, text: ">=2" } },
    ]);
    expect(loadScenario(write(KIND.replace("platform: kind", "platform: kind\nrotation: { times: 2 }"))).rotation).toEqual({ times: 2 });
    expect(loadScenario(write(KIND)).rotation).toBeUndefined();
  });

  it("rejects rotation off kind, without the database, with a bad count, and its expectation without it", () => {
    expect(loadError(KIND.replace("platform: kind", "platform: docker\nrotation: true").replace(/  - name: release[\s\S]*?(?=expect:)/, "")).lines).toContain(
      "rotation needs platform: kind: a rotation replaces the cluster's encryption key (the scenario runs on docker)",
    );
    expect(loadError(KIND.replace("platform: kind", "platform: kind\nrotation: true\ndatabase: false")).lines).toContain(
      "rotation needs the database: a rotation changes the database password, but the scenario sets database: false",
    );
    expect(loadError(KIND.replace("platform: kind", "platform: kind\nrotation: { times: 0 }")).lines).toEqual(["rotation.times must be an integer >= 1, got number 0"]);
    expect(loadError(kindWith("  - rotation: { completed: 1 }")).lines).toEqual(["expect[0].rotation needs rotation: the scenario must rotate its secrets (rotation: true)"]);
    expect(loadError(kindWith("  - rotation: { completed: some }").replace("platform: kind", "platform: kind\nrotation: true")).lines).toEqual([
      'expect[0].rotation.completed must be a number of rotations or a bound like ">=1", got "some"',
    ]);
  });

  it("reads access expectations: whose account, the verb, the resource and its group, the namespace, allowed or not", () => {
    const s = loadScenario(
      write(kindWith(["  - access: { as: service, verb: get, resource: secrets, allowed: false }", "  - access: { as: harness, verb: create, group: apps, resource: deployments, namespace: kube-system, allowed: false }"].join("\n"))),
    );
    expect(s.expectations).toEqual([
      { id: "expectation-1", kind: "access", as: "service", verb: "get", resource: "secrets", allowed: false },
      { id: "expectation-2", kind: "access", as: "harness", verb: "create", group: "apps", resource: "deployments", namespace: "kube-system", allowed: false },
    ]);
  });

  it("rejects an access expectation with an unknown account or verb, a bad resource, no answer, or off kind", () => {
    expect(loadError(kindWith("  - access: { as: router, verb: get, resource: secrets, allowed: false }")).lines).toEqual(['expect[0].access.as must be one of service, harness, got "router"']);
    expect(loadError(kindWith("  - access: { as: service, verb: read, resource: secrets, allowed: false }")).lines[0]).toMatch(/^expect\[0\]\.access\.verb must be one of get, list, watch, create, update, patch, delete, deletecollection, got "read"/);
    expect(loadError(kindWith("  - access: { as: service, verb: get, resource: Secrets, allowed: false }")).lines).toEqual(['expect[0].access.resource must be a resource like "secrets" or "pods/log", got "Secrets"']);
    expect(loadError(kindWith("  - access: { as: service, verb: get, resource: secrets }")).lines).toEqual(["expect[0].access.allowed is missing: expected true or false"]);
    expect(loadError(kindWith("  - access: { as: service, verb: get, resource: secrets, allowed: false }").replace("platform: kind", "platform: docker").replace(/  - name: release[\s\S]*?(?=expect:)/, "")).lines).toContain(
      "expect[0].access needs Kubernetes: set platform: kind or kubernetes (this scenario's platform is docker)",
    );
  });

  it("reads connectivity expectations: from a role or a probe pod in a namespace of the run, to a part and port, allowed or not", () => {
    const s = loadScenario(
      write(kindWith(["  - connectivity: { from: monitoring/pod, to: \"stable:9090\", allowed: true }", "  - connectivity: { from: stable, to: \"database:5432\", allowed: true }"].join("\n"))),
    );
    expect(s.expectations).toEqual([
      { id: "expectation-1", kind: "connectivity", from: "monitoring/pod", to: "stable", port: 9090, allowed: true },
      { id: "expectation-2", kind: "connectivity", from: "stable", to: "database", port: 5432, allowed: true },
    ]);
  });

  it("rejects a connectivity expectation from or to something the run does not have, without a port, or off kind", () => {
    expect(loadError(kindWith('  - connectivity: { from: kube-system/pod, to: "stable:8000", allowed: false }')).lines).toEqual([
      'expect[0].connectivity.from must be a role of the scenario (stable) or <namespace>/<part> with namespace run, monitoring or outside and part pod or load-balancer, like "monitoring/pod", got "kube-system/pod"',
    ]);
    expect(loadError(kindWith('  - connectivity: { from: run/pod, to: "canary:8000", allowed: false }')).lines).toEqual([
      'expect[0].connectivity.to must name a role of the scenario or a part of the run (stable, router, prometheus, database), got "canary"',
    ]);
    expect(loadError(kindWith('  - connectivity: { from: run/pod, to: stable, allowed: false }')).lines).toEqual(['expect[0].connectivity.to must be <part>:<port> like "stable:9090" or "database:5432", got "stable"']);
    expect(loadError(kindWith('  - connectivity: { from: run/pod, to: "stable:70000", allowed: false }')).lines[0]).toMatch(/^expect\[0\]\.connectivity\.to must be <part>:<port>/);
    expect(loadError(kindWith('  - connectivity: { from: run/pod, to: "stable:8000" }')).lines).toEqual(["expect[0].connectivity.allowed is missing: expected true or false"]);
    expect(
      loadError(kindWith('  - connectivity: { from: run/pod, to: "stable:8000", allowed: false }').replace("platform: kind", "platform: docker").replace(/  - name: release[\s\S]*?(?=expect:)/, "")).lines,
    ).toContain("expect[0].connectivity needs Kubernetes: set platform: kind or kubernetes (this scenario's platform is docker)");
  });

  it("rejects a deployment expectation without an environment, at environment", () => {
    const { lines } = loadError(kindWith("  - deployment: { role: stable }"));
    expect(lines).toEqual(["environment must name an environment of the document: a deployment expectation checks against it"]);
  });

  it("rejects an environment the document does not have", () => {
    const { lines } = loadError(KIND.replace("platform: kind", "platform: kind\nenvironment: qa"));
    expect(lines).toEqual(['environment must be an environment of the deployment document (development, staging, production), got "qa"']);
  });

  it.each([
    ["platform: docker", "docker"],
    ["", "docker"],
  ])("rejects pods and deployment expectations when the platform is not kind (%j)", (platformLine, platform) => {
    const text = kindWith(["  - pods: { role: stable, ready: all }", "  - deployment: { role: stable }", "  - probe: { role: stable, path: /health, status: 200 }"].join("\n"))
      .replace("platform: kind", `${platformLine}\nenvironment: staging`);
    const { lines } = loadError(text);
    const why = `needs Kubernetes: set platform: kind or kubernetes (this scenario's platform is ${platform})`;
    // The actions are in the registry for Docker too (harness/actions/registry.ts); the API server's view is kind's alone.
    expect(lines).toEqual([`expect[0].pods ${why}`, `expect[1].deployment ${why}`]);
  });

  it("gives a version without replicas its environment's replicas", () => {
    const staging = loadScenario(write(KIND.replace("platform: kind", "platform: kind\nenvironment: staging")));
    expect(staging.versions.get("stable")?.replicas).toBe(2);
    const production = loadScenario(write(KIND.replace("platform: kind", "platform: kind\nenvironment: production")));
    expect(production.versions.get("stable")?.replicas).toBe(3);
    // Without an environment, one.
    expect(loadScenario(write(KIND)).versions.get("stable")?.replicas).toBe(1);
  });

  it("lets explicit replicas win over the environment's", () => {
    const s = loadScenario(write(KIND.replace("platform: kind", "platform: kind\nenvironment: staging").replace("tag: good-1 }", "tag: good-1, replicas: 1 }")));
    expect(s.versions.get("stable")?.replicas).toBe(1);
    const more = loadScenario(write(KIND.replace("platform: kind", "platform: kind\nenvironment: development").replace("tag: good-1 }", "tag: good-1, replicas: 4 }")));
    expect(more.versions.get("stable")?.replicas).toBe(4);
  });
});

describe("resolveScenarioPath", () => {
  it("finds a scenario by name in the scenarios folder", () => {
    expect(resolveScenarioPath("health-endpoints")).toBe(join(SCENARIO_DIR, "health-endpoints.yaml"));
  });

  it("uses a path as it is, relative to the given directory", () => {
    const file = write(MINIMAL, "by-path.yaml");
    expect(resolveScenarioPath("by-path.yaml", files.folder)).toBe(file);
    expect(resolveScenarioPath(file)).toBe(file);
  });

  it("rejects an unknown name with SCENARIO_NOT_FOUND and a hint listing the known scenarios", () => {
    let caught: unknown;
    try {
      resolveScenarioPath("no-such-scenario");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(HarnessError);
    const error = caught as HarnessError;
    expect(error.code).toBe("SCENARIO_NOT_FOUND");
    expect(error.message).toBe('no scenario named "no-such-scenario"');
    const known = readdirSync(SCENARIO_DIR)
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => f.replace(/\.yaml$/, ""));
    expect(known).toContain("health-endpoints");
    expect(error.hint).toMatch(/^known scenarios: /);
    for (const name of known) expect(error.hint).toContain(name);
  });

  it("rejects a missing file path with SCENARIO_NOT_FOUND", () => {
    expect(() => resolveScenarioPath("missing.yaml", files.folder)).toThrow(expect.objectContaining({ code: "SCENARIO_NOT_FOUND", message: "no scenario file missing.yaml" }));
  });
});

describe("the scenarios that ship with the project", () => {
  const files = readdirSync(SCENARIO_DIR).filter((f) => f.endsWith(".yaml"));

  it("exist", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)("%s validates and is named after its file", (f) => {
    const s = loadScenario(join(SCENARIO_DIR, f));
    expect(s.name).toBe(f.replace(/\.yaml$/, ""));
    // A scenario does something: steps of its own, or a strategy to perform.
    if (s.pipeline) {
      // A pipeline's stages are scenarios of their own, each doing something and checking it.
      expect(s.pipeline.expectations.length).toBeGreaterThan(0);
      for (const stage of s.pipeline.stages) expect(stage.scenario.steps.length > 0 || stage.scenario.strategy !== undefined).toBe(true);
      for (const stage of s.pipeline.stages) expect(stage.scenario.expectations.length).toBeGreaterThan(0);
      return;
    }
    expect(s.steps.length > 0 || s.strategy !== undefined).toBe(true);
    expect(s.expectations.length).toBeGreaterThan(0);
  });

  it("are all listed with their descriptions", () => {
    const listed = listScenarios();
    expect(listed.map((s) => s.name)).toEqual(files.map((f) => f.replace(/\.yaml$/, "")).sort((a, b) => a.localeCompare(b)));
    for (const s of listed) expect(s.description).not.toContain("does not validate");
  });
});

describe("loadScenario: where each problem is", () => {
  it("gives every problem the line and column of what it is about", () => {
    const text = FULL.replace("observe: 1m", "observe: soon").replace("descripton", "description").replace("description: ready", "descripton: ready").replace("status: 503", "status: 9000");
    const { lines, positions } = loadError(text);
    const at = (start: string) => positions[lines.findIndex((l) => l.startsWith(start))];
    const lineOf = (needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;
    const columnOf = (needle: string, within: string) => text.split("\n")[lineOf(within) - 1]!.indexOf(needle) + 1;
    // A bad value: at the value.
    expect(at("steps[2].observe")).toBe(`${lineOf("observe: soon")}:${columnOf("soon", "observe: soon")}`);
    expect(at("expect[1].probe.status")).toBe(`${lineOf("status: 9000")}:${columnOf("9000", "status: 9000")}`);
    // An unknown field: at its key.
    expect(at("descripton")).toBe(`${lineOf("descripton:")}:1`);
    // A missing field: at the mapping it is missing from (here, the file).
    expect(at("description is missing")).toMatch(/^\d+:1$/);
  });

  it("places a problem of the spec: overrides in the scenario, with its spec. path", () => {
    const text = MINIMAL + "spec:\n  rollback:\n    triggers:\n      error_rate: \">150%\"\n";
    const { lines, positions } = loadError(text);
    expect(lines).toEqual(['spec.rollback.triggers.error_rate must be a percentage between 0% and 100% (an error rate), got ">150%"']);
    const line = text.split("\n").findIndex((l) => l.includes(">150%")) + 1;
    expect(positions).toEqual([`${line}:19`]);
  });

  it("names an unknown fault type with the known ones and a did-you-mean, at the type", () => {
    const { lines, positions } = loadError(FULL.replace("type: database-pause", "type: database-paws"));
    expect(lines).toEqual([`steps[1].fault.type must be one of ${FAULT_TYPES.join(", ")}, got "database-paws" (did you mean "database-pause"?)`]);
    const text = FULL.split("\n");
    const line = text.findIndex((l) => l.includes("database-pause")) + 1;
    expect(positions).toEqual([`${line}:${text[line - 1]!.indexOf("database-pause") + 1}`]);
  });

  it("refuses a database fault when the scenario has no database", () => {
    const { lines } = loadError(FULL + "database: false\n");
    expect(lines).toEqual(["steps[1].fault needs the database: remove database: false (this scenario has none)"]);
  });

  it("takes an action on Docker, whose platform implements it (the registry says where each action runs)", () => {
    const s = loadScenario(write(kindWith("  - probe: { role: stable, path: /health, status: 200 }").replace("platform: kind", "platform: docker")));
    expect(s.platform).toBe("docker");
    expect(s.steps.filter((st) => st.action).map((st) => st.action!.type)).toEqual(["rollout", "rollout-undo", "delete-pod"]);
  });

  it("says which platform a kind-only step needs", () => {
    expect(platformMessage(["kind"], "docker")).toBe("needs Kubernetes: set platform: kind (this scenario's platform is docker)");
    expect(platformMessage(["docker"], "kind")).toBe("runs only on docker: set platform: docker (this scenario's platform is kind)");
  });
});

describe("loadScenario: role and its deprecated alias version", () => {
  const OLD = MINIMAL.replace("probe: { role: stable", "probe: { version: stable") + "monitor:\n  targets:\n    - { version: stable, paths: [/health] }\n";

  it("reads version: as role:, with a warning at each", () => {
    const file = write(OLD);
    const { scenario, warnings } = loadScenarioWithWarnings(file);
    const written = loadScenario(write(MINIMAL + "monitor:\n  targets:\n    - { role: stable, paths: [/health] }\n"));
    expect(scenario).toEqual({ ...written, file: displayPath(file) });
    const shown = displayPath(file);
    const lines = OLD.split("\n");
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    expect(warnings).toEqual([
      `${shown}:${lineOf("- { version: stable")}:9: monitor.targets[0].version is deprecated: write role: (version still works)`,
      `${shown}:${lineOf("probe: { version")}:14: expect[0].probe.version is deprecated: write role: (version still works)`,
    ]);
    expect(loadScenarioWithWarnings(write(MINIMAL)).warnings).toEqual([]);
  });

  it("reads version: in faults and actions as their role", () => {
    const s = loadScenario(write(FULL.replace("set-faults, role: candidate", "set-faults, version: candidate")));
    expect(s.steps[2]!.fault).toEqual({ type: "set-faults", role: "candidate", settings: { latencyMs: 100 } });
  });

  it("refuses version: and role: together", () => {
    const { lines } = loadError(MINIMAL.replace("probe: { role: stable", "probe: { role: stable, version: stable"));
    expect(lines).toEqual(["expect[0].probe.version and role are both given: write role only (version is its deprecated alias)"]);
  });

  it("names a problem at the version key the file wrote", () => {
    const { lines } = loadError(OLD.replace("probe: { version: stable", "probe: { version: canary"));
    expect(lines).toEqual(['expect[0].probe.version must name a version declared under versions (stable), got "canary"']);
  });
});
