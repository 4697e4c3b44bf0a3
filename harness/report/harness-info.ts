import { execFileSync } from "node:child_process";
import { cpus, hostname, totalmem } from "node:os";
import { ROOT } from "../common/paths.js";

/** Which harness ran, and where: for a report read days later, on another machine. */
export interface HarnessInfo {
  /** The commit (short), with "+changes" when the working tree differed from it; "unknown" outside a git checkout. */
  commit: string;
  host: string;
  cores: number;
  memoryGiB: number;
  node: string;
}

let cached: HarnessInfo | undefined;

export function harnessInfo(): HarnessInfo {
  cached ??= {
    commit: gitCommit(),
    host: hostname(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
  return cached;
}

function gitCommit(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000 }).trim();
    const commit = git("rev-parse", "--short=12", "HEAD");
    return git("status", "--porcelain", "--untracked-files=no") === "" ? commit : `${commit}+changes`;
  } catch {
    return "unknown";
  }
}
