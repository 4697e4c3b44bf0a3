import { describe, expect, it } from "vitest";
import { listScenarios, loadScenario, resolveScenarioPaths } from "../scenario/load-scenario.js";
import { selectScenarios, tagsOf } from "./select.js";

// The shipped scenarios, read as the suite reads them.
const all = listScenarios().map((s) => loadScenario(resolveScenarioPaths(s.name)[0]!));
const byName = (n: string) => all.find((s) => s.name === n)!;
const names = (sel: ReturnType<typeof selectScenarios>) => sel.selected.map((x) => `${x.scenario.name}@${x.platform}`);

describe("tagsOf", () => {
  it("derives a scenario's tags from what it does, beside its own", () => {
    expect(tagsOf(byName("canary-fail"))).toEqual(["canary", "docker", "production", "smoke"]);
    expect(tagsOf(byName("dr-pg-restore"))).toEqual(expect.arrayContaining(["dr", "docker", "faults"]));
    expect(tagsOf(byName("env-staging"))).toEqual(["environments", "faults", "kind", "staging"]);
    expect(tagsOf({ ...byName("canary-fail"), tags: ["nightly"] })).toEqual(["canary", "docker", "nightly", "production"]);
  });
});

describe("selectScenarios", () => {
  it("takes every scenario on its own platform, in name order, when nothing filters", () => {
    const sel = selectScenarios(all, { tags: [], names: [] });
    expect(sel.selected).toHaveLength(all.length);
    expect(sel.skipped).toEqual([]);
    expect(names(sel)).toContain("env-staging@kind");
    expect(names(sel)).toContain("canary-fail@docker");
    expect(sel.selected.map((x) => x.scenario.name)).toEqual([...all.map((s) => s.name)].sort());
  });

  it("selects by any of the tags and by name", () => {
    expect(names(selectScenarios(all, { tags: ["smoke"], names: [] }))).toEqual(["bluegreen-fail@docker", "canary-fail@docker", "health-endpoints@docker"]);
    expect(names(selectScenarios(all, { tags: ["blue-green"], names: [] }))).toEqual(["bluegreen-fail@docker", "bluegreen-success@docker", "rollback-notifies@docker"]);
    expect(names(selectScenarios(all, { tags: ["blue-green", "dr"], names: [] }))).toEqual(expect.arrayContaining(["bluegreen-fail@docker", "dr-pg-restore@docker"]));
    expect(names(selectScenarios(all, { tags: [], names: ["health-endpoints", "canary-fail"] }))).toEqual(["canary-fail@docker", "health-endpoints@docker"]);
    // Both filters: a named scenario must also carry the tag.
    expect(names(selectScenarios(all, { tags: ["canary"], names: ["canary-fail", "bluegreen-fail"] }))).toEqual(["canary-fail@docker"]);
  });

  it("runs everything on the platform asked for, and skips what it cannot run there, saying why", () => {
    const sel = selectScenarios(all, { tags: ["environments", "smoke"], names: [], platform: "docker" });
    expect(names(sel)).toEqual(["bluegreen-fail@docker", "canary-fail@docker", "health-endpoints@docker"]);
    expect(sel.skipped.map((k) => k.name)).toEqual(expect.arrayContaining(["env-development", "env-production", "env-staging"]));
    expect(sel.skipped.find((k) => k.name === "env-staging")!.reason).toMatch(/^cannot run on docker: expectation .+: deployment/);
    const kind = selectScenarios(all, { tags: ["canary"], names: [], platform: "kind" });
    expect(kind.selected.every((x) => x.platform === "kind")).toBe(true);
  });

  it("refuses an unknown name or tag with a did-you-mean, and filters that leave nothing", () => {
    expect(() => selectScenarios(all, { tags: [], names: ["canary-fial"] })).toThrow(/no scenario named "canary-fial".*canary-fail/);
    expect(() => selectScenarios(all, { tags: ["canery"], names: [] })).toThrow(/no scenario has the tag "canery".*canary/);
    expect(() => selectScenarios(all, { tags: [], names: ["env-staging"], platform: "docker" })).toThrow(/leave no scenario to run/);
  });
});
