import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

/** Busy and total CPU time of all cores from /proc/stat's first line (jiffies); idle and iowait are not busy. */
export function parseProcStat(text: string): { busy: number; total: number } | undefined {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 4 || f.some((x) => Number.isNaN(x))) return undefined;
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3]! + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Microseconds, since boot, during which every task that could run waited for
 * the resource at once: the "full" line of Linux's pressure stall information
 * (/proc/pressure/io or /memory). Undefined for text without one.
 */
export function parsePressureFull(text: string): number | undefined {
  const m = /^full .*\btotal=(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

const PRESSURE = { io: "/proc/pressure/io", memory: "/proc/pressure/memory" } as const;

/** Where the engine's containers account their CPU time (ns), cgroup v1 and v2 layouts. */
const ENGINE_CPU = ["/sys/fs/cgroup/cpuacct/docker/cpuacct.usage", "/sys/fs/cgroup/cpu,cpuacct/docker/cpuacct.usage"];

export interface HostReading {
  /** Host CPU busy since the last reading, all cores (0-1); undefined where /proc/stat cannot be read. */
  cpu: number | undefined;
  /** The engine's containers' share of all cores since the last reading (0-1), where its cgroup is readable. */
  engineCpu: number | undefined;
  /**
   * Share of the time since the last reading (0-1) during which every task that could run was stalled on
   * I/O, and on memory (PSI "full"); undefined where the kernel does not report pressure.
   */
  ioStall: number | undefined;
  memoryStall: number | undefined;
  /** The harness's event-loop delay since the last reading: p99 and max, ms. */
  loopDelayMs: number;
  loopMaxMs: number;
  cores: number;
}

/** Reads the machine: CPU from /proc/stat, the engine's from its cgroup, the event loop's delay from perf_hooks. */
export class HostSampler {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private lastStat: { busy: number; total: number } | undefined;
  private lastEngine: { ns: number; atNs: bigint } | undefined;
  private lastPressure: { io: number | undefined; memory: number | undefined; atNs: bigint } | undefined;
  readonly cores = availableParallelism();

  constructor(private readonly read: (path: string) => string = (p) => readFileSync(p, "utf8")) {
    this.loop.enable();
    this.reading();
  }

  reading(): HostReading {
    const stat = this.tryRead("/proc/stat", parseProcStat);
    const cpu = stat && this.lastStat && stat.total > this.lastStat.total ? (stat.busy - this.lastStat.busy) / (stat.total - this.lastStat.total) : undefined;
    this.lastStat = stat;
    const now = process.hrtime.bigint();
    const ns = ENGINE_CPU.map((p) => this.tryRead(p, (t) => Number(t.trim()))).find((x) => x !== undefined && !Number.isNaN(x));
    const engineCpu = ns !== undefined && this.lastEngine && now > this.lastEngine.atNs ? (ns - this.lastEngine.ns) / Number(now - this.lastEngine.atNs) / this.cores : undefined;
    this.lastEngine = ns !== undefined ? { ns, atNs: now } : undefined;
    const pressure = { io: this.tryRead(PRESSURE.io, parsePressureFull), memory: this.tryRead(PRESSURE.memory, parsePressureFull), atNs: now };
    const stall = (kind: "io" | "memory"): number | undefined => {
      const before = this.lastPressure?.[kind];
      const after = pressure[kind];
      if (before === undefined || after === undefined || !this.lastPressure || now <= this.lastPressure.atNs) return undefined;
      return clamp(((after - before) * 1000) / Number(now - this.lastPressure.atNs));
    };
    const ioStall = stall("io");
    const memoryStall = stall("memory");
    this.lastPressure = pressure;
    const loopDelayMs = this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : 0;
    const loopMaxMs = this.loop.count > 0 ? this.loop.max / 1e6 : 0;
    this.loop.reset();
    return { cpu: cpu === undefined ? undefined : clamp(cpu), engineCpu: engineCpu === undefined ? undefined : clamp(engineCpu), ioStall, memoryStall, loopDelayMs, loopMaxMs, cores: this.cores };
  }

  close(): void {
    this.loop.disable();
  }

  private tryRead<T>(path: string, parse: (text: string) => T): T | undefined {
    try {
      return parse(this.read(path));
    } catch {
      return undefined;
    }
  }
}

function clamp(x: number): number {
  return Math.min(1, Math.max(0, x));
}
