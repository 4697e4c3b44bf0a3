import { readFileSync } from "node:fs";

/**
 * Who owns a resource, a claim or a lock: a process id and, where /proc has
 * it, the process's start time (`<pid>-<start>`, a valid Kubernetes label
 * value). A pid alone is not enough: this kernel reuses pids after 32768
 * (CI runs through them in minutes), and `kill(pid, 0)` also answers for any
 * thread's id, so a run that died could look alive forever through a
 * stranger that got its number.
 */
export type ProcessIdentity = string;

/** The start time of a process (or thread) in clock ticks since boot, from /proc/<pid>/stat; undefined without /proc. */
export function processStart(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted after the last ")".
  // starttime is field 22 of the whole line, the 20th after the comm.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

/** This process's identity. */
export function identityOf(pid: number): ProcessIdentity {
  const start = processStart(pid);
  return start ? `${pid}-${start}` : String(pid);
}

export const SELF: ProcessIdentity = identityOf(process.pid);

/** The pid an identity names (NaN when it names none). */
export function pidOf(identity: ProcessIdentity | number | undefined): number {
  return Number(String(identity ?? "").split("-")[0]);
}

/**
 * Whether the process an identity names is still running. A bare pid (an
 * older label) is checked as a pid; with a start time, a process with that
 * pid but another start time is a stranger, and the owner is gone.
 */
export function ownerAlive(identity: ProcessIdentity | number | undefined, options: { self?: boolean } = {}): boolean {
  const text = String(identity ?? "");
  const pid = pidOf(text);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid && !options.self) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const start = text.split("-")[1];
  if (start === undefined) return true;
  const now = processStart(pid);
  return now === undefined || now === start;
}
