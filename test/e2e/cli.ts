import { expect, onTestFinished } from "vitest";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve as resolvePath } from "node:path";
import { LABEL, PROJECT } from "../../harness/common/labels.js";
import { ROOT } from "../../harness/common/paths.js";
import { docker } from "../../harness/engine/docker.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The run folder named on the "evidence:" line, when there is one. */
  runDir?: string;
  /** The harness process: what it started carries its pid in the owner label. */
  pid: number;
}

/** Run the real CLI as `npm run scenario` does (without the setup script, which test.sh already ran). */
export function cli(args: string[], options: { onStdout?: (text: string, child: ReturnType<typeof spawn>) => void; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "harness/cli/main.ts"), ...args], { cwd: ROOT, env: { ...process.env, ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(stdout, child);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    stopWithTheTest(child, () => stdout + stderr);
    child.on("close", (code) => {
      const [runDir] = evidenceDirs(stdout);
      resolve({ code, stdout, stderr, pid: child.pid!, ...(runDir ? { runDir } : {}) });
    });
  });
}

/**
 * A run still going when its test ends (a timeout) is interrupted, then
 * killed (the reaper removes what it started): left running, it would hold
 * its share of the machine's budget and every later run would wait for it.
 * What it last printed goes to the log, since the timeout says nothing else.
 */
function stopWithTheTest(child: ReturnType<typeof spawn>, output: () => string): void {
  try {
    onTestFinished(() => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      console.error(`[e2e] the test ended with the harness (pid ${child.pid}) still running; it last printed:\n${output().split("\n").slice(-25).join("\n")}`);
      child.kill("SIGINT");
      const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
      kill.unref();
      child.once("exit", () => clearTimeout(kill));
    });
  } catch {
    // Outside a test (a hook): the hook's own timeout applies.
  }
}

/** The run folders a command printed (`evidence: <dir>` lines, relative to where it ran), in its order. */
export function evidenceDirs(stdout: string): string[] {
  return [...stdout.matchAll(/^evidence: (\S+)/gm)].map((m) => resolvePath(process.env.INIT_CWD ?? ROOT, m[1]!));
}

/**
 * The run of scenario `name` among a command's runs, which must have passed
 * with every expectation held (and match `also`); when it did not, the
 * command's output tail says why.
 */
export function passedRun<R extends { results: { expectations: ReadonlyArray<{ id: string; held: boolean; evidence: string }> } }>(runs: ReadonlyMap<string, R>, name: string, command: CliResult, also: Record<string, unknown> = {}): R {
  const r = runs.get(name);
  expect(r, `no results for ${name}; exit ${command.code}\nstdout tail:\n${command.stdout.slice(-3000)}\nstderr:\n${command.stderr.slice(-2000)}`).toBeDefined();
  for (const e of r!.results.expectations) expect(e.held, `${name} ${e.id}: ${e.evidence}`).toBe(true);
  expect(r!.results).toMatchObject({ verdict: "passed", exitCode: 0, ...also });
  return r!;
}

/**
 * The runs of a command that did not pass, on one line: each scenario's
 * verdict and its unmet expectations (why each could not be judged, or its
 * evidence), so that a failed exit code names its cause in the failure's
 * first line, which is all a suite's summary shows.
 */
export function unpassed(runs: ReadonlyMap<string, { results: { verdict: string; expectations: ReadonlyArray<{ id: string; held: boolean; evidence: string; inconclusive?: string }> } }>): string {
  const lines = [...runs]
    .filter(([, r]) => r.results.verdict !== "passed")
    .map(([name, r]) => {
      const unmet = r.results.expectations.filter((e) => !e.held).map((e) => `${e.id}: ${e.inconclusive ? `inconclusive, ${e.inconclusive}` : e.evidence}`);
      return `${name} ${r.results.verdict.toUpperCase()} (${unmet.join("; ") || "every expectation held"})`;
    });
  return lines.length > 0 ? lines.join(" | ") : "every run that left results passed";
}

export function readResults(runDir: string): {
  runId: string;
  verdict: string;
  exitCode: number;
  expectations: Array<{ id: string; held: boolean; evidence: string; description: string; inconclusive?: string }>;
  error: { code: string } | null;
  sboms?: Array<{ image: string; ref: string; file: string; packages: number }>;
} {
  return JSON.parse(readFileSync(join(runDir, "results.json"), "utf8"));
}

/** An event of a run's events.jsonl, as the e2e tests read it. */
export interface RunEvent {
  type: string;
  t: number;
  specT: number;
  [k: string]: unknown;
}

/** The run's timeline, from its events.jsonl. */
export function readEvents(runDir: string): RunEvent[] {
  return readFileSync(join(runDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as RunEvent);
}

/**
 * The containers and networks a harness process started and left: the
 * suite's other lane runs beside this one (scripts/test.sh), so a test counts
 * what its own command started, never everything with the project's label.
 */
export async function leftBy(pid: number): Promise<{ containers: number; networks: number }> {
  const mine = (labels: Record<string, string> | undefined) => (labels?.[LABEL.ownerPid] ?? "").split("-")[0] === String(pid);
  const project = { label: [`${LABEL.project}=${PROJECT}`] };
  const containers = (await docker().listContainers({ all: true, filters: project })).filter((c) => mine(c.Labels)).length;
  const networks = (await docker().listNetworks({ filters: project })).filter((n) => mine(n.Labels)).length;
  return { containers, networks };
}

/** How many containers with the run's id are left. */
export async function runContainers(runId: string): Promise<number> {
  return (await docker().listContainers({ all: true, filters: { label: [`${LABEL.project}=${PROJECT}`, `${LABEL.runId}=${runId}`] } })).length;
}

/**
 * What a failed e2e assertion should tell whoever reads CI's log: the run's
 * slowest seconds (the load's own view), the requests that got no answer,
 * and how busy the machine was. The run folder is gone with CI's clone.
 */
export function runStory(runDir: string): string {
  const events = readEvents(runDir);
  const seconds = events.filter((e) => e.type === "load.second" && e.version === "*") as Array<RunEvent & { second: number; requests: number; p95: number; max: number; asked?: number; lagMs?: number }>;
  const slowest = [...seconds].sort((a, b) => b.p95 - a.p95).slice(0, 3).map((s) => `second ${s.second} at ${s.t.toFixed(1)} s: p95 ${Math.round(s.p95)} ms, max ${Math.round(s.max)} ms, ${s.requests}/${s.asked ?? "?"} sent, lag ${s.lagMs ?? "?"} ms`);
  const errors: Record<string, number> = {};
  for (const e of events) if (e.type === "load.second" && e.version === "*") for (const [k, n] of Object.entries((e.errors as Record<string, number> | undefined) ?? {})) errors[k] = (errors[k] ?? 0) + n;
  const host = events.filter((e) => e.type === "host.sampled") as Array<RunEvent & { cpu: number | null; ioStall?: number | null; memoryStall?: number | null; loopDelayMs: number }>;
  const peak = (f: (h: (typeof host)[number]) => number | null | undefined) => Math.max(0, ...host.map((h) => f(h) ?? 0));
  const saturated = events.filter((e) => e.type === "analysis.evaluated" && e.verdict === "saturated").length;
  return [
    `slowest seconds: ${slowest.join("; ") || "none"}`,
    `no answer: ${Object.entries(errors).map(([k, n]) => `${k} ×${n}`).join(", ") || "none"}`,
    `machine: ${host.length} samples, CPU peak ${Math.round(100 * peak((h) => h.cpu))}%, I/O stall peak ${Math.round(100 * peak((h) => h.ioStall))}%, memory stall peak ${Math.round(100 * peak((h) => h.memoryStall))}%, event-loop delay peak ${Math.round(peak((h) => h.loopDelayMs))} ms, ${saturated} saturated window(s)`,
  ].join("\n");
}

/**
 * A scenario run meant to pass: it left a run folder, every expectation held
 * (a failure says its evidence) and it exited 0. Its results and timeline.
 */
export async function passingRun(args: string[]): Promise<{ run: CliResult; results: ReturnType<typeof readResults>; events: RunEvent[] }> {
  const run = await cli(args);
  expect(run.runDir, `stderr: ${run.stderr}\nstdout: ${run.stdout}`).toBeDefined();
  const results = readResults(run.runDir!);
  for (const e of results.expectations) expect(e.held, `${e.id}: ${e.evidence}`).toBe(true);
  expect(run.code).toBe(0);
  return { run, results, events: readEvents(run.runDir!) };
}
