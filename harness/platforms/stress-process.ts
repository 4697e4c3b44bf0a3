import { createInterface } from "node:readline";
import type { CommandStream } from "../common/command-stream.js";
import { HarnessError, errorMessage } from "../common/errors.js";
import type { Stress } from "./platform.js";

/**
 * stress-ng run in an instance's container (the app image has Debian's
 * stress-ng), the same way on every platform: a shell prints what the undo
 * needs (its pid, which stress-ng takes over by exec; for memory, the
 * container's limit and the service's OOM score before the fault), then execs
 * stress-ng. Processes exec'd in a container share its cgroup, so the CPU and
 * memory they use count against the instance's own limits.
 */

const TAG = "gameday-stress";
/** cgroup v1 reports "no limit" as 2^63 rounded down to a page: 19 digits. A real limit has fewer. */
const NO_LIMIT_DIGITS = 19;

/** The command (`sh -c ...`) that reports and then becomes stress-ng. */
export function stressCommand(stress: Stress): string[] {
  const common = "stress-ng --temp-path /tmp";
  const lines = [`echo "${TAG} pid $$"`];
  if (stress.kind === "cpu") {
    lines.push(`exec ${common} --cpu ${int(stress.workers)} --cpu-load ${int(stress.load)}`);
  } else {
    lines.push(
      // cgroup v2, then v1.
      "limit=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)",
      `if [ -z "$limit" ] || [ "$limit" = max ] || [ \${#limit} -ge ${NO_LIMIT_DIGITS} ]; then echo "the container has no memory limit" >&2; exit 3; fi`,
      `echo "${TAG} limit $limit"`,
      `echo "${TAG} adj $(cat /proc/1/oom_score_adj)"`,
      // The service (the container's PID 1) becomes the OOM killer's first choice, stress-ng its last it may
      // choose without privileges, so that what the kernel kills at the limit is the service, as when it leaks.
      "echo 1000 > /proc/1/oom_score_adj",
      "echo 0 > /proc/self/oom_score_adj 2>/dev/null || true",
      `exec ${common} --no-oom-adjust --vm 1 --vm-keep --vm-bytes $((limit / 100 * ${int(stress.fill)}))`,
    );
  }
  return ["sh", "-c", lines.join("\n")];
}

/** What the shell reported before it became stress-ng. */
export interface StressReport {
  readonly pid: number;
  /** Memory only: the container's memory limit in bytes. */
  readonly limitBytes?: number;
  /** Memory only: the service's oom_score_adj before the fault, restored by undo. */
  readonly previousAdj?: number;
}

/** Reads the report from the lines the shell printed; undefined while a line it needs has not come yet. */
export function parseReport(lines: readonly string[], kind: Stress["kind"]): StressReport | undefined {
  const values = new Map<string, number>();
  for (const line of lines) {
    const m = new RegExp(`^${TAG} (pid|limit|adj) (-?\\d+)$`).exec(line.trim());
    if (m) values.set(m[1]!, Number(m[2]));
  }
  const pid = values.get("pid");
  if (pid === undefined) return undefined;
  if (kind === "cpu") return { pid };
  const limitBytes = values.get("limit");
  const previousAdj = values.get("adj");
  if (limitBytes === undefined || previousAdj === undefined) return undefined;
  return { pid, limitBytes, previousAdj };
}

/**
 * The command that stops it: SIGTERM to stress-ng if that pid is still
 * stress-ng (it stops its workers and exits), and for memory the service's
 * OOM score as it was.
 */
export function stopCommand(report: StressReport): string[] {
  const pid = int(report.pid);
  const lines = [`if grep -q stress-ng /proc/${pid}/cmdline 2>/dev/null; then kill -TERM ${pid}; fi`];
  if (report.previousAdj !== undefined) lines.push(`echo ${int(report.previousAdj)} > /proc/1/oom_score_adj`);
  return ["sh", "-c", lines.join("\n")];
}

/** A running stress-ng: its report, and `ended` settling (never rejecting) once it has exited, with why when it failed. */
export const NO_MEMORY_LIMIT_HINT = "memory pressure needs a memory limit: on kind, use an environment whose overlay sets one (development, staging, production)";

export interface StressProcess {
  readonly report: StressReport;
  readonly ended: Promise<{ error?: string }>;
}

/**
 * Start stress in a container through `run` (the platform's way to exec a
 * command in the instance's container) and wait for its report. Fails with
 * the command's own error when it ends first (no memory limit, no stress-ng).
 */
export async function startStress(run: (command: string[]) => CommandStream, stress: Stress, what: string): Promise<StressProcess> {
  const stream = run(stressCommand(stress));
  const ended = stream.done.then(
    (): { error?: string } => ({}),
    (e: unknown) => ({ error: errorMessage(e) }),
  );
  const lines: string[] = [];
  let report: StressReport | undefined;
  const reader = createInterface({ input: stream.stdout });
  for await (const line of reader) {
    lines.push(line);
    report = parseReport(lines, stress.kind);
    if (report) break;
  }
  // stress-ng's own lines after the report are read and dropped, so its output never blocks it.
  stream.stdout.resume();
  if (!report) {
    const { error } = await ended;
    throw new HarnessError("COMMAND_FAILED", `stress-ng did not start in ${what}: ${error ?? `it printed ${JSON.stringify(lines.join("\n").slice(0, 300))} and exited`}`, {
      hint: error?.includes("no memory limit") ? NO_MEMORY_LIMIT_HINT : "the app image needs stress-ng: `npm run images` rebuilds it from fixtures/images/app/Dockerfile",
    });
  }
  return { report, ended };
}

function int(n: number): number {
  if (!Number.isSafeInteger(n)) throw new HarnessError("INTERNAL", `not an integer for a shell command: ${n}`);
  return n;
}
