import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../harness/common/paths.js";

// The nightly workflow, checked by actionlint (github.com/rhysd/actionlint, pinned in scripts/tools.sh; it runs
// shellcheck on the run: scripts too when shellcheck is installed, as scripts/test.sh does).

const WORKFLOW = join(ROOT, ".github/workflows/nightly.yml");
const ACTIONLINT = join(ROOT, ".cache/tools/bin/actionlint");
const scratch = mkdtempSync(join(tmpdir(), "gameday-workflow-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function actionlint(file: string): { code: number | null; out: string } {
  if (!existsSync(ACTIONLINT)) throw new Error("actionlint is not built: bash scripts/tools.sh actionlint (scripts/test.sh does it)");
  const r = spawnSync(ACTIONLINT, ["-no-color", file], { encoding: "utf8", cwd: ROOT });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

describe(".github/workflows/nightly.yml", () => {
  it("passes actionlint, shellcheck included", () => {
    expect(spawnSync("shellcheck", ["--version"]).status, "shellcheck is installed (bash scripts/tools.sh shellcheck)").toBe(0);
    const r = actionlint(WORKFLOW);
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  it("runs the suite on kind every night on a GitHub-hosted Ubuntu runner, caches the node image and tools, and keeps the evidence", () => {
    const wf = parse(readFileSync(WORKFLOW, "utf8")) as { on: { schedule: Array<{ cron: string }> }; jobs: Record<string, { "runs-on": string; steps: Step[] }> };
    expect(wf.on.schedule[0]!.cron).toMatch(/^\d+ \d+ \* \* \*$/);
    const job = Object.values(wf.jobs)[0]!;
    expect(job["runs-on"]).toMatch(/^ubuntu-/);
    const runs = job.steps.map((s) => s.run ?? "").join("\n");
    expect(runs).toMatch(/scripts\/gameday "\$\{args\[@\]\}"/);
    expect(runs).toContain("args=(suite --platform kind --retries 1 --junit runs/nightly-junit.xml)");
    expect(runs).toContain("apt-get install");
    const cache = job.steps.find((s) => s.uses?.startsWith("actions/cache@"))!;
    expect(String(cache.with!.path)).toContain(".cache/images");
    expect(runs).toContain("docker save deploy-gameday/kind-node:");
    const upload = job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))!;
    expect(upload.if).toBe("always()");
    expect(String(upload.with!.path)).toContain("runs/");
  });

  it("is a check that can fail: a broken copy of the workflow is refused", () => {
    const broken = readFileSync(WORKFLOW, "utf8").replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.04\n    timeout-minutes: soon").replace('SUITE_TAG: ${{ inputs.tag }}', "SUITE_TAG: ${{ inputs.tagg }}");
    const file = join(scratch, "nightly.yml");
    writeFileSync(file, broken);
    const r = actionlint(file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/timeout-minutes/);
    expect(r.out).toMatch(/tagg/);
  });
});
