import { spawn, type ChildProcess } from "node:child_process";
import { RUN_ENV } from "../cleanup/processes.js";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { systemClock, type Clock } from "../common/clock.js";
import { HarnessError } from "../common/errors.js";
import { errorLines } from "../common/exec.js";
import { ROOT, TOOLS_BIN } from "../common/paths.js";
import type { LoadGenerator, LoadPlan, LoadRunEnd, RequestResult } from "./load-generator.js";
import { boundSegments, checkBaseUrl, vegetaRate, vegetaTargets } from "./vegeta-plan.js";
import { toResult, type VegetaResult } from "./vegeta-results.js";
import { ensureTool } from "../common/tools.js";

/** Past the plan's duration plus the request timeout, the processes are killed. */
const DEADLINE_SLACK_MS = 5_000;
/** Between SIGTERM and SIGKILL. */
const DEFAULT_GRACE_MS = 2_000;
const STDERR_KEEP = 8_000;
/** Bytes of an answer's body kept when the plan POSTs: a created row's JSON is a few hundred. */
const CREATED_BODY_BYTES = 4_096;
const HINT = "`bash scripts/tools.sh vegeta` builds vegeta into .cache/tools/bin (Go and the module proxy are needed once); `npm run doctor` says what is missing";

/** Make sure vegeta is there (built with go install on first use), once per process. */
export function ensureVegeta(signal?: AbortSignal): Promise<void> {
  return ensureTool("vegeta", { hint: HINT, ...(signal ? { signal } : {}) });
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

function exited(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    let error: Error | undefined;
    child.once("error", (e) => {
      error = e;
      if (child.pid === undefined) resolve({ code: null, signal: null, error: e });
    });
    child.once("close", (code, signal) => resolve({ code, signal, ...(error ? { error } : {}) }));
  });
}

function alive(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** One `vegeta attack | vegeta encode` pipeline: one segment of the plan. */
interface Attack {
  readonly processes: ChildProcess[];
  /** Both processes have exited and every line they wrote has been read. */
  closed: Promise<void>;
  nextSeq: number;
  readonly pending: Map<number, RequestResult>;
  done: boolean;
}

type StopReason = Exclude<LoadRunEnd["stoppedBy"], "completed">;

/**
 * The load generator: vegeta (an open-model HTTP load tool), one attack per
 * segment of constant rate, started on schedule (the next attack starts when
 * the previous one's duration is over, while its last answers drain). Its
 * results are read from `vegeta encode --to json` and reported attack by
 * attack, each in send order (an attack whose process started late can still
 * be sending when the next one starts: the aggregator counts such a late
 * result in the totals).
 */
export class VegetaGenerator implements LoadGenerator {
  readonly name = "vegeta";
  private readonly clock: Clock;
  private readonly graceMs: number;
  private readonly runId: string | undefined;

  constructor(options: { clock?: Clock; graceMs?: number; runId?: string } = {}) {
    this.clock = options.clock ?? systemClock;
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.runId = options.runId;
  }

  async run(plan: LoadPlan, onResult: (r: RequestResult) => void, signal: AbortSignal): Promise<LoadRunEnd> {
    const baseUrl = checkBaseUrl(plan.baseUrl);
    checkPlan(plan);
    if (signal.aborted) return { sent: 0, stoppedBy: "aborted" };
    try {
      await ensureVegeta(signal);
    } catch (e) {
      if (signal.aborted) return { sent: 0, stoppedBy: "aborted" };
      throw e;
    }
    const dir = await mkdtemp(join(tmpdir(), "gameday-load-"));
    try {
      const targets = join(dir, "targets.json");
      await writeFile(targets, vegetaTargets(baseUrl, plan.requests));
      return await new VegetaRun(plan, targets, onResult, signal, this.clock, this.graceMs, this.runId).run();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

function checkPlan(plan: LoadPlan): void {
  const bad = (what: string) => new HarnessError("USAGE", `load plan: ${what}`, { hint: "build plans with planFor(profile, baseUrl, scale)" });
  if (plan.requests.length === 0) throw bad("names no request");
  if (!(plan.maxRequests >= 1) || !Number.isFinite(plan.maxRequests)) throw bad(`maxRequests must be >= 1, got ${plan.maxRequests}`);
  if (!(plan.timeoutMs > 0) || !Number.isFinite(plan.timeoutMs)) throw bad(`timeoutMs must be > 0, got ${plan.timeoutMs}`);
  for (const s of plan.segments) {
    if (!(s.ratePerSecond >= 0) || !Number.isFinite(s.ratePerSecond)) throw bad(`a segment's rate must be >= 0, got ${s.ratePerSecond}`);
    if (!(s.durationMs >= 0) || !Number.isFinite(s.durationMs)) throw bad(`a segment's duration must be >= 0, got ${s.durationMs}`);
  }
  if (!plan.requests.every((r) => Number.isInteger(r.weight) && r.weight >= 1)) throw bad("request weights must be integers >= 1");
}

/** The state of one run() call. */
class VegetaRun {
  private readonly attacks: Attack[] = [];
  /** The attack whose results are being reported; later attacks' results wait, so results come in send order. */
  private current = 0;
  private delivered = 0;
  private stopReason: StopReason | undefined;
  private failure: unknown;
  private terminating: Promise<void> | undefined;
  private readonly life = new AbortController();
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly plan: LoadPlan,
    private readonly targetsFile: string,
    private readonly onResult: (r: RequestResult) => void,
    private readonly signal: AbortSignal,
    private readonly clock: Clock,
    private readonly graceMs: number,
    runId: string | undefined,
  ) {
    // The run id in the environment lets the reaper find and kill these processes if the harness dies.
    this.env = { ...process.env, PATH: `${TOOLS_BIN}${delimiter}${process.env.PATH ?? ""}`, ...(runId ? { [RUN_ENV]: runId } : {}) };
  }

  private get stopping(): boolean {
    return this.stopReason !== undefined || this.failure !== undefined;
  }

  async run(): Promise<LoadRunEnd> {
    const { segments, truncated } = boundSegments(this.plan.segments, this.plan.maxRequests);
    const totalMs = segments.reduce((sum, s) => sum + s.durationMs, 0);
    const start = this.clock.now();
    const onAbort = () => this.stop("aborted");
    this.signal.addEventListener("abort", onAbort, { once: true });
    this.clock.sleep(totalMs + this.plan.timeoutMs + DEADLINE_SLACK_MS, this.life.signal).then(
      () => this.stop("deadline"),
      () => undefined,
    );
    try {
      let offset = 0;
      for (const segment of segments) {
        await this.sleepUntil(start + offset);
        if (this.stopping) break;
        if (segment.ratePerSecond > 0 && segment.durationMs >= 1) this.attacks.push(this.startAttack(segment));
        offset += segment.durationMs;
      }
      if (!this.stopping) await this.sleepUntil(start + totalMs);
      // Every attack ends by itself (duration, then its last answers) or is killed by stop().
      await Promise.all(this.attacks.map((a) => a.closed));
      await this.terminating;
    } finally {
      this.signal.removeEventListener("abort", onAbort);
      this.life.abort();
      // Nothing outlives run(): if anything is still alive here (an exception above), kill it and wait.
      if (this.attacks.some((a) => a.processes.some(alive))) {
        this.terminating ??= this.terminate();
        await this.terminating;
      }
    }
    if (this.failure !== undefined) throw this.failure;
    return { sent: this.delivered, stoppedBy: this.stopReason ?? (truncated ? "max-requests" : "completed") };
  }

  private async sleepUntil(at: number): Promise<void> {
    const wait = at - this.clock.now();
    if (wait > 0 && !this.stopping) await this.clock.sleep(wait, this.life.signal).catch(() => undefined);
  }

  private stop(reason: StopReason | "failed", failure?: unknown): void {
    if (this.stopping) return;
    if (reason === "failed") this.failure = failure ?? new Error("vegeta failed");
    else this.stopReason = reason;
    this.life.abort();
    this.terminating = this.terminate();
  }

  /** SIGTERM to every live process, SIGKILL to what is left after the grace period; resolves when all have exited. */
  private async terminate(): Promise<void> {
    const all = () => this.attacks.flatMap((a) => a.processes);
    // Stopping the attacks first lets `vegeta encode` write what it already has and exit at the end of its input.
    for (const a of this.attacks) if (a.processes[0] && alive(a.processes[0])) a.processes[0].kill("SIGTERM");
    const grace = new AbortController();
    const closed = Promise.all(this.attacks.map((a) => a.closed)).then(() => false);
    const late = this.clock.sleep(this.graceMs, grace.signal).then(
      () => true,
      () => false,
    );
    const timedOut = await Promise.race([closed, late]);
    grace.abort();
    if (timedOut) {
      for (const p of all()) if (alive(p)) p.kill("SIGKILL");
      await Promise.all(this.attacks.map((a) => a.closed));
    }
  }

  private startAttack(segment: { ratePerSecond: number; durationMs: number }): Attack {
    const args = [
      "attack",
      "-format=json",
      `-targets=${this.targetsFile}`,
      `-rate=${vegetaRate(segment.ratePerSecond)}`,
      `-duration=${Math.max(1, Math.round(segment.durationMs))}ms`,
      `-timeout=${Math.max(1, Math.round(this.plan.timeoutMs))}ms`,
      // Answers' bodies are dropped, except enough of a POST's to read the id of the row it created.
      `-max-body=${this.plan.requests.some((r) => r.method === "POST") ? CREATED_BODY_BYTES : 0}`,
      "-keepalive=true",
    ];
    const attack = spawn("vegeta", args, { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    const encode = spawn("vegeta", ["encode", "--to", "json"], { env: this.env, stdio: ["pipe", "pipe", "pipe"] });
    const stderr = { attack: "", encode: "" };
    const keep = (which: "attack" | "encode") => (d: Buffer) => {
      stderr[which] = (stderr[which] + d.toString()).slice(-STDERR_KEEP);
    };
    attack.stderr?.on("data", keep("attack"));
    encode.stderr?.on("data", keep("encode"));
    // A pipe broken by a killed process is expected while stopping; real failures show in the exit codes.
    attack.stdout?.on("error", () => undefined);
    encode.stdin?.on("error", () => undefined);
    if (attack.stdout && encode.stdin) attack.stdout.pipe(encode.stdin);

    const self: Attack = { processes: [attack, encode], closed: Promise.resolve(), nextSeq: 0, pending: new Map(), done: false };
    let buffer = "";
    encode.stdout?.setEncoding("utf8");
    encode.stdout?.on("data", (chunk: string) => {
      buffer += chunk;
      let from = 0;
      for (let nl = buffer.indexOf("\n", from); nl >= 0; nl = buffer.indexOf("\n", from)) {
        this.line(self, buffer.slice(from, nl));
        from = nl + 1;
      }
      buffer = buffer.slice(from);
    });

    self.closed = Promise.all([exited(attack), exited(encode)]).then(([a, e]) => {
      if (buffer.trim() !== "") this.line(self, buffer);
      buffer = "";
      self.done = true;
      if (!this.stopping) {
        const failure = this.failureOf("attack", args, a, stderr.attack) ?? this.failureOf("encode", ["encode", "--to", "json"], e, stderr.encode);
        if (failure) this.stop("failed", failure);
      }
      this.pump();
    });
    return self;
  }

  private failureOf(which: string, args: string[], exit: Exit, stderr: string): HarnessError | undefined {
    if (exit.error && (exit.error as NodeJS.ErrnoException).code === "ENOENT") {
      return new HarnessError("TOOL_MISSING", "vegeta is not installed or not on PATH", { hint: HINT });
    }
    if (exit.error) return new HarnessError("COMMAND_FAILED", `vegeta ${which} could not start: ${exit.error.message}`, { hint: HINT, cause: exit.error });
    if (exit.code === 0) return undefined;
    const detail = errorLines(stderr).map((l) => `  ${l}`).join("\n");
    const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with ${exit.code}`;
    return new HarnessError("COMMAND_FAILED", `\`vegeta ${args.join(" ")}\` ${how}${detail ? `:\n${detail}` : ""}`, {
      hint: "the error lines above come from vegeta; check the target URL and the plan (rate, duration, timeout)",
    });
  }

  private line(attack: Attack, text: string): void {
    if (this.failure !== undefined || text.trim() === "") return;
    let parsed: VegetaResult;
    try {
      parsed = JSON.parse(text) as VegetaResult;
    } catch {
      this.stop("failed", new HarnessError("COMMAND_FAILED", `vegeta encode wrote a line that is not JSON: ${text.slice(0, 120)}`, { hint: HINT }));
      return;
    }
    attack.pending.set(parsed.seq, toResult(parsed));
    this.pump();
  }

  /** Report results in send order: each attack's in sequence, an attack only once the one before it has ended. */
  private pump(): void {
    while (this.current < this.attacks.length) {
      const a = this.attacks[this.current]!;
      for (let r = a.pending.get(a.nextSeq); r !== undefined; r = a.pending.get(a.nextSeq)) {
        a.pending.delete(a.nextSeq);
        a.nextSeq++;
        this.deliver(r);
      }
      if (!a.done) return;
      // A killed attack can leave gaps; what did arrive is still reported, in order.
      for (const seq of [...a.pending.keys()].sort((x, y) => x - y)) this.deliver(a.pending.get(seq)!);
      a.pending.clear();
      this.current++;
    }
  }

  private deliver(r: RequestResult): void {
    if (this.failure !== undefined || this.delivered >= this.plan.maxRequests) return;
    this.delivered++;
    try {
      this.onResult(r);
    } catch (e) {
      this.stop("failed", e);
      return;
    }
    if (this.delivered >= this.plan.maxRequests) this.stop("max-requests");
  }
}
