import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { CommandStream } from "../common/command-stream.js";
import { HarnessError } from "../common/errors.js";
import { parseReport, startStress, stopCommand, stressCommand } from "./stress-process.js";

/** A command stream that prints `lines` and then ends as `exit` says. */
function fakeStream(lines: string[], exit: "ok" | Error, commands: string[][]): (cmd: string[]) => CommandStream {
  return (cmd) => {
    commands.push(cmd);
    const stdout = new PassThrough();
    for (const l of lines) stdout.write(`${l}\n`);
    stdout.end();
    return { stdout, done: exit === "ok" ? Promise.resolve() : Promise.reject(exit) };
  };
}

describe("stress-ng in a container", () => {
  it("runs CPU workers after printing its pid", () => {
    const [sh, c, script] = stressCommand({ kind: "cpu", workers: 4, load: 80 });
    expect([sh, c]).toEqual(["sh", "-c"]);
    expect(script).toBe('echo "gameday-stress pid $$"\nexec stress-ng --temp-path /tmp --cpu 4 --cpu-load 80');
  });

  it("holds memory as a share of the cgroup's limit, with the service the OOM killer's first choice, and refuses a container without a limit", () => {
    const script = stressCommand({ kind: "memory", fill: 90, limitBytes: 1 })[2]!;
    expect(script).toContain("cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes");
    expect(script).toContain('echo "the container has no memory limit" >&2; exit 3');
    expect(script).toContain("echo 1000 > /proc/1/oom_score_adj");
    expect(script).toContain("exec stress-ng --temp-path /tmp --no-oom-adjust --vm 1 --vm-keep --vm-bytes $((limit / 100 * 90))");
    // The report comes before anything changes.
    expect(script.indexOf('adj $(cat /proc/1/oom_score_adj)')).toBeLessThan(script.indexOf("echo 1000 >"));
  });

  it("refuses what is not an integer in a shell command", () => {
    expect(() => stressCommand({ kind: "cpu", workers: 1.5, load: 100 })).toThrow(HarnessError);
  });

  it("reads the report only once every line it needs has come", () => {
    expect(parseReport(["stress-ng: info: x"], "cpu")).toBeUndefined();
    expect(parseReport(["gameday-stress pid 12"], "cpu")).toEqual({ pid: 12 });
    expect(parseReport(["gameday-stress pid 12", "gameday-stress limit 268435456"], "memory")).toBeUndefined();
    expect(parseReport(["gameday-stress pid 12", "gameday-stress limit 268435456", "gameday-stress adj -998"], "memory")).toEqual({ pid: 12, limitBytes: 268435456, previousAdj: -998 });
  });

  it("stops only a process that is still stress-ng, and gives the service its OOM score back", () => {
    expect(stopCommand({ pid: 12 })[2]).toBe("if grep -q stress-ng /proc/12/cmdline 2>/dev/null; then kill -TERM 12; fi");
    expect(stopCommand({ pid: 12, limitBytes: 1, previousAdj: 998 })[2]).toBe("if grep -q stress-ng /proc/12/cmdline 2>/dev/null; then kill -TERM 12; fi\necho 998 > /proc/1/oom_score_adj");
  });

  it("starts through the platform's exec and hands back the report; ended settles with stress-ng's end", async () => {
    const commands: string[][] = [];
    const started = await startStress(fakeStream(["gameday-stress pid 7", "stress-ng: info: dispatching hogs: 4 cpu"], "ok", commands), { kind: "cpu", workers: 4, load: 100 }, "container x");
    expect(started.report).toEqual({ pid: 7 });
    expect(commands[0]![0]).toBe("sh");
    expect(await started.ended).toEqual({});
  });

  it("fails with the command's own error when it ends before its report, with a hint for a missing limit", async () => {
    const noLimit = new HarnessError("COMMAND_FAILED", "`sh -c ...` exited with 3:\n  the container has no memory limit");
    const start = startStress(fakeStream(["gameday-stress pid 7"], noLimit, []), { kind: "memory", fill: 100, limitBytes: 1 }, "pod p's api container");
    await expect(start).rejects.toMatchObject({ code: "COMMAND_FAILED", message: expect.stringContaining("stress-ng did not start in pod p's api container"), hint: expect.stringContaining("memory limit") });
  });
});
