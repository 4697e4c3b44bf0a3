import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { docker } from "../../harness/engine/docker.js";
import { ROOT } from "../../harness/common/paths.js";
import { cli, leftBy, readResults } from "./cli.js";
import { noDatabaseScenario } from "../support/scenario-files.js";

const healthScenario = readFileSync(join(ROOT, "scenarios/health-endpoints.yaml"), "utf8");

function scenarioFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "gameday-e2e-")), "scenario.yaml");
  writeFileSync(file, text);
  return file;
}

/** scripts/gameday as a user types it, from a folder of their own, with no engine involved. */
function gameday(args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync("bash", [join(ROOT, "scripts/gameday"), ...args], { cwd, encoding: "utf8", env: { ...process.env, INIT_CWD: "" } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe("the gameday command", () => {
  it("runs, validates and lists by name or by path relative to where it is run, and checks names before any engine work", () => {
    const folder = mkdtempSync(join(tmpdir(), "gameday-cwd-"));
    writeFileSync(join(folder, "mine.yaml"), healthScenario);
    const valid = gameday(["validate", "mine.yaml", "canary-fail"], folder);
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stdout).toMatch(/mine\.yaml: valid \(health-endpoints: /);
    expect(gameday(["list"], folder).stdout).toMatch(/^crash-loop\s+\S/m);
    // A misspelt command or scenario: a did-you-mean, exit 2, and the engine never touched.
    const command = gameday(["valdate", "x.yaml"], folder);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "valdate" (did you mean "validate"?)');
    const name = gameday(["run", "canry-fail", "--platform", "docker"], folder);
    expect(name.code).toBe(2);
    expect(name.stderr).toContain('no scenario named "canry-fail" (did you mean "canary-fail"?)');
    expect(name.stdout + name.stderr).not.toContain("[engine]");
    // -o json: one document to parse, for list, validate and doctor.
    writeFileSync(join(folder, "bad.yaml"), healthScenario.replace(/^name: .*$/m, "name: 7"));
    const checked = gameday(["validate", "-o", "json", "mine.yaml", "bad.yaml"], folder);
    expect(checked.code).toBe(2);
    const entries = JSON.parse(checked.stdout) as Array<{ file: string; valid: boolean; name?: string; problems: string[] }>;
    expect(entries.map((e) => [e.file, e.valid, e.name])).toEqual([
      ["mine.yaml", true, "health-endpoints"],
      ["bad.yaml", false, undefined],
    ]);
    expect(entries[1]!.problems).toEqual([expect.stringMatching(/^bad\.yaml:1:7: name must be /)]);
    const listed = JSON.parse(gameday(["list", "-o", "json"], folder).stdout) as Array<{ name: string; description: string }>;
    expect(listed.find((s) => s.name === "crash-loop")?.description).toMatch(/crashes each time the platform brings it back/);
    const doctor = JSON.parse(gameday(["doctor", "-o", "json"], folder).stdout) as { checks: Array<{ what: string; ok: boolean }> };
    expect(doctor.checks.find((c) => c.what === "Docker engine")?.ok).toBe(true);
    expect(gameday(["list", "-o", "yaml"], folder)).toMatchObject({ code: 2, stderr: expect.stringContaining('-o must be json or text, got "yaml"') });
    const help = gameday(["run", "--help"], folder);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^gameday run /);
  });
});

describe("npm run scenario", () => {
  it("lists and validates scenarios without starting anything", async () => {
    const list = await cli(["scenario", "--list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^health-endpoints\s+\S/m);
    const valid = await cli(["scenario", "--validate", "health-endpoints"]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain("scenarios/health-endpoints.yaml: valid");
    // Every file named is checked, and one bad file among them makes the answer 2.
    const empty = scenarioFile("");
    const several = await cli(["scenario", "--validate", "health-endpoints", empty, "canary-fail"]);
    expect(several.code).toBe(2);
    expect(several.stdout).toContain("scenarios/health-endpoints.yaml: valid");
    expect(several.stdout).toContain("scenarios/canary-fail.yaml: valid");
    expect(several.stderr).toContain(`${empty}: is empty`);
    // Help on every command: exit 0, nothing started.
    for (const command of ["scenario", "doctor", "clean", "images", "bench"]) {
      const help = await cli([command, "--help"]);
      expect(help.code, `${command} --help`).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^npm run ${command}`));
    }
  });

  it("rejects a scenario with mistakes: exit 2, the file, the path, what was expected, and nothing started", async () => {
    const file = scenarioFile(healthScenario.replace("observe: 3s", "observe: soon").replace("status: 503", "status: 9000"));
    const result = await cli(["scenario", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("SCENARIO_INVALID");
    expect(result.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: steps\\[0\\]\\.observe must be a duration like "600s"`));
    expect(result.stderr).toMatch(/expect\[2\]\.probe\.status must be an integer >= 100 and <= 599/);
    expect(result.runDir).toBeUndefined();
    expect(await leftBy(result.pid)).toEqual({ containers: 0, networks: 0 });
  });

  it("refuses a kind-only scenario on Docker, an unknown platform, or a bad file among several, before starting anything", async () => {
    const onDocker = await cli(["scenario", "health-endpoints", "env-production", "--platform", "docker"]);
    expect(onDocker.code).toBe(2);
    expect(onDocker.stderr).toMatch(/error USAGE: scenario env-production cannot run on docker: (step|expectation) .* not available there/);
    expect(onDocker.stderr).toContain("hint: run it with --platform kind");
    const unknown = await cli(["scenario", "canary-fail", "--platform", "nomad"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown platform "nomad"');
    const bad = scenarioFile(healthScenario.replace("observe: 3s", "observe: soon"));
    const several = await cli(["scenario", "health-endpoints", bad]);
    expect(several.code).toBe(2);
    expect(several.stderr).toContain("steps[0].observe");
    expect(several.stdout).not.toContain("run ");
    for (const r of [onDocker, several]) expect(await leftBy(r.pid)).toEqual({ containers: 0, networks: 0 });
  });

  it("names an unknown scenario and lists the known ones", async () => {
    const result = await cli(["scenario", "no-such-scenario"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("SCENARIO_NOT_FOUND");
    expect(result.stderr).toContain("health-endpoints");
  });

  it("runs health-endpoints: exit 0, every expectation held with evidence, evidence folder complete, nothing left", async () => {
    const result = await cli(["scenario", "health-endpoints"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const results = readResults(result.runDir!);
    expect(results.verdict).toBe("passed");
    expect(results.expectations.map((e) => e.id)).toEqual([
      "liveness-always-200",
      "ready-before-outage",
      "unready-during-outage",
      "liveness-during-outage",
      "ready-recovers",
      "metrics-count-by-version",
    ]);
    for (const e of results.expectations) {
      expect(e.held, `${e.id}: ${e.evidence}`).toBe(true);
      expect(e.evidence).toMatch(/\d/);
    }
    const events = readFileSync(join(result.runDir!, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string });
    expect(events.filter((e) => e.type === "fault.injected")).toHaveLength(1);
    expect(events.filter((e) => e.type === "fault.undone")).toHaveLength(1);
    expect(events.filter((e) => e.type === "probe.observed").length).toBeGreaterThan(40);
    expect(readdirSync(join(result.runDir!, "logs")).sort()).toEqual([expect.stringMatching(/-db\.log$/), expect.stringMatching(/-stable-0\.log$/)]);
    expect(readFileSync(join(result.runDir!, "logs", readdirSync(join(result.runDir!, "logs")).find((f) => f.endsWith("-db.log"))!), "utf8")).toContain(
      "database system is ready to accept connections",
    );
    expect(readFileSync(join(result.runDir!, "junit.xml"), "utf8")).toContain('tests="6" failures="0"');
    expect(await leftBy(result.pid)).toEqual({ containers: 0, networks: 0 });
  }, 120_000);

  it("fails with exit 1 and says which expectation and why when an expectation is wrong", async () => {
    const wrong = healthScenario
      .replace("observe: 3s", "observe: 1s")
      .replace("probe: { role: stable, path: /health, status: 200, during: db-outage }", "probe: { role: stable, path: /ready, status: 200, during: db-outage }");
    const result = await cli(["scenario", scenarioFile(wrong)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ liveness-during-outage: .*\n\s+\d+ of \d+ observations differed, first: 503 failing=\[database\]/);
    const results = readResults(result.runDir!);
    expect(results.verdict).toBe("failed");
    expect(results.expectations.filter((e) => !e.held).map((e) => e.id)).toEqual(["liveness-during-outage"]);
    expect(await leftBy(result.pid)).toEqual({ containers: 0, networks: 0 });
  }, 120_000);

  it("stops on Ctrl-C: exit 130, verdict interrupted, every container and network removed", async () => {
    const result = await cli(["scenario", "health-endpoints"], {
      onStdout: (text, child) => {
        if (text.includes("step db-outage") && !child.killed) child.kill("SIGINT");
      },
    });
    expect(result.code).toBe(130);
    const results = readResults(result.runDir!);
    expect(results.verdict).toBe("interrupted");
    expect(await leftBy(result.pid)).toEqual({ containers: 0, networks: 0 });
    expect(existsSync(join(result.runDir!, "events.jsonl"))).toBe(true);
  }, 120_000);

  it("leaves nothing behind when the harness is killed outright: the reaper removes the run's resources", async () => {
    const result = await cli(["scenario", "health-endpoints"], {
      onStdout: (text, child) => {
        if (text.includes("step baseline") && !child.killed) child.kill("SIGKILL");
      },
    });
    expect(result.code).toBeNull();
    const deadline = Date.now() + 20_000;
    let left = await leftBy(result.pid);
    while (left.containers + left.networks > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      left = await leftBy(result.pid);
    }
    expect(left).toEqual({ containers: 0, networks: 0 });
  }, 120_000);

  it("runs a scenario without a database: the service counts once alive, and /ready rightly names the database", async () => {
    const file = scenarioFile(noDatabaseScenario({ name: "no-database", description: "without a database the service is alive and not ready", observe: "2s", ready: 503, readyId: "not-ready" }));
    // With the CI outputs: the run folder under --out-dir, and one JUnit file for the command, cases named by id.
    const out = mkdtempSync(join(tmpdir(), "gameday-e2e-out-"));
    const r = await cli(["scenario", file, "--out-dir", out, "--junit", join(out, "ci", "junit.xml")]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.runDir!.startsWith(out)).toBe(true);
    expect(readResults(r.runDir!).expectations.map((e) => [e.id, e.held])).toEqual([
      ["alive", true],
      ["not-ready", true],
    ]);
    const xml = readFileSync(join(out, "ci", "junit.xml"), "utf8");
    expect(xml).toContain('<testsuite name="no-database" tests="2" failures="0"');
    // Each case with its time, the suite with the run's.
    expect(xml).toMatch(/<testcase classname="no-database" name="alive" time="\d+\.\d{3}">/);
    expect(xml).toMatch(/<testcase classname="no-database" name="not-ready" time="\d+\.\d{3}">/);
    expect(xml).toMatch(/<testsuite name="no-database" [^>]* time="[1-9]\d*\.\d{3}"/);
  }, 60_000);
});
