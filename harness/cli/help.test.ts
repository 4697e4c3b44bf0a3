import { describe, expect, it } from "vitest";
import { helpFor, rightForm, swallowedFlags, USAGE } from "./help.js";

describe("swallowedFlags", () => {
  it("finds the harness's flags npm exported as its own config, only when npm ran that command", () => {
    expect(swallowedFlags("scenario", { npm_lifecycle_event: "scenario", npm_config_validate: "true" })).toEqual(["validate"]);
    expect(swallowedFlags("scenario", { npm_lifecycle_event: "scenario", npm_config_keep_cluster: "true", npm_config_time_scale: "true", npm_config_wait: "" })).toEqual(["keep-cluster", "time-scale", "no-wait"]);
    expect(swallowedFlags("clean", { npm_lifecycle_event: "clean", npm_config_clusters: "true" })).toEqual(["clusters"]);
    // The same variables under another npm script (npm test running the e2e tests) say nothing about this command.
    expect(swallowedFlags("scenario", { npm_lifecycle_event: "test", npm_config_validate: "true" })).toEqual([]);
    expect(swallowedFlags("scenario", { npm_lifecycle_event: "scenario", npm_config_cache: "/x" })).toEqual([]);
  });
});

describe("rightForm", () => {
  it("puts the flags after npm's separator, with a placeholder where npm kept the value apart", () => {
    expect(rightForm("scenario", ["validate"])).toBe("npm run scenario -- <names, files or folders> --validate");
    expect(rightForm("scenario", ["platform", "no-wait"])).toBe("npm run scenario -- <names, files or folders> --platform <value> --no-wait");
    expect(rightForm("clean", ["clusters"])).toBe("npm run clean -- --clusters");
  });
});

describe("helpFor", () => {
  it("has a help with flags, exit codes and examples for scenario, a text for every other command, the usage otherwise", () => {
    expect(helpFor("scenario")).toMatch(/--validate <file>\.\.\./);
    expect(helpFor("scenario")).toMatch(/exit codes: 0 .* 3 inconclusive, 130 interrupted/);
    expect(helpFor("scenario")).toMatch(/examples:\n {2}npm run scenario canary-fail/);
    for (const c of ["doctor", "images", "clean", "bench"]) expect(helpFor(c)).toMatch(new RegExp(`^npm run ${c}`));
    expect(helpFor("run")).toMatch(/^gameday run .*\(npm run scenario -- \.\.\.\)\n\nRuns each scenario/);
    expect(helpFor("run")).toMatch(/exit codes: 0 /);
    expect(helpFor("validate")).toMatch(/^gameday validate /);
    expect(helpFor("list")).toMatch(/^gameday list /);
    expect(USAGE).toMatch(/^ {2}gameday run /m);
    expect(helpFor(undefined)).toBe(USAGE);
    expect(helpFor("nope")).toBe(USAGE);
  });
});
