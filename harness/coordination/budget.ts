import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { systemClock, type Clock } from "../common/clock.js";
import { ownerAlive, SELF, type ProcessIdentity } from "../common/process-identity.js";
import { STATE_DIR } from "../common/state-dir.js";

/** One run's share of the machine, as written in the budget's folder. */
export interface Claim {
  runId: string;
  scenario: string;
  pid: number;
  /** The process with its start time: a pid the kernel has since given to another process does not hold the claim. */
  owner?: ProcessIdentity;
  cores: number;
  /** Epoch ms it was taken. */
  since: number;
  /** Taken with --no-wait, whether it fit or not. */
  noWait?: true;
}

export interface Admission {
  /** Gives the share back (idempotent). */
  release(): void;
  /** Wall ms spent waiting for the share. */
  waitedMs: number;
  /** The other runs holding shares when this one started: with --no-wait, those it runs beside at its own risk. */
  beside: Claim[];
  /** Whether its share fit the budget when it started (false only with --no-wait). */
  fit: boolean;
}

/** The machine's budget: its cores (every run of the harness on it shares them). */
export const MACHINE_CORES = availableParallelism();

/**
 * A machine-wide budget of cores that runs of the harness share: each run
 * claims its estimated cost under `.state/budget/` and waits while the runs
 * already there leave too little. The claims are read and written under a
 * lock (a directory, which mkdir creates atomically); a claim or a lock whose
 * process is gone (or whose pid now names another process) is ignored and
 * removed, so a crashed run never blocks the next. A run bigger than the
 * whole budget runs alone.
 */
export class MachineBudget {
  private readonly claims: string;
  private readonly lock: string;

  constructor(
    private readonly o: { dir?: string; cores?: number; clock?: Clock; pollMs?: number; alive?: (owner: ProcessIdentity) => boolean } = {},
  ) {
    const dir = o.dir ?? join(STATE_DIR, "budget");
    this.claims = join(dir, "claims");
    this.lock = join(dir, "lock");
    mkdirSync(this.claims, { recursive: true });
  }

  get cores(): number {
    return this.o.cores ?? MACHINE_CORES;
  }

  /** The live claims of other runs. */
  holders(): Claim[] {
    const out: Claim[] = [];
    for (const f of readdirSync(this.claims)) {
      const path = join(this.claims, f);
      let c: Claim;
      try {
        c = JSON.parse(readFileSync(path, "utf8")) as Claim;
      } catch {
        continue; // being written, or damaged: the writer's lock covers it
      }
      if (this.alive(c.owner ?? String(c.pid))) out.push(c);
      else rmSync(path, { force: true });
    }
    return out;
  }

  /**
   * Take `cores` of the budget for a run, waiting (with `onWait` told what
   * for, again whenever that changes) until they fit, unless `wait` is false.
   */
  async acquire(run: { runId: string; scenario: string; cores: number; wait: boolean; onWait?: (message: string) => void; signal?: AbortSignal }): Promise<Admission> {
    const clock = this.o.clock ?? systemClock;
    const started = clock.now();
    let told = "";
    let waited = false;
    for (;;) {
      const decided = await this.locked(clock, run.signal, () => {
        const others = this.holders();
        const used = others.reduce((a, c) => a + c.cores, 0);
        const fit = others.length === 0 || used + run.cores <= this.cores + 1e-9;
        if (!fit && run.wait) return { taken: false as const, others, used };
        const claim: Claim = { runId: run.runId, scenario: run.scenario, pid: process.pid, owner: SELF, cores: run.cores, since: clock.now(), ...(fit ? {} : { noWait: true as const }) };
        writeFileSync(join(this.claims, `${run.runId}.json`), JSON.stringify(claim));
        return { taken: true as const, others, fit };
      });
      if (decided.taken) {
        const path = join(this.claims, `${run.runId}.json`);
        return { release: () => rmSync(path, { force: true }), waitedMs: waited ? clock.now() - started : 0, beside: decided.others, fit: decided.fit };
      }
      const message = `waiting for ${run.cores} of the machine's ${this.cores} cores: ${decided.others.map((c) => `${c.scenario} (run ${c.runId}, pid ${c.pid}) holds ${c.cores}`).join("; ")}; ${round(this.cores - decided.used)} free (--no-wait starts at once, at your own risk)`;
      if (message !== told) run.onWait?.(message);
      told = message;
      waited = true;
      await clock.sleep(this.o.pollMs ?? 500, run.signal);
    }
  }

  private alive(owner: ProcessIdentity): boolean {
    return this.o.alive ? this.o.alive(owner) : ownerAlive(owner, { self: true });
  }

  /** Runs `f` holding the budget's lock; a lock left by a process that is gone is broken. */
  private async locked<T>(clock: Clock, signal: AbortSignal | undefined, f: () => T): Promise<T> {
    for (;;) {
      try {
        mkdirSync(this.lock);
      } catch {
        const owner = readOr(join(this.lock, "pid"));
        // No owner written a while after the lock was made: its maker died between the two steps.
        const orphan = owner === "" && Date.now() - mtimeOr(this.lock) > 5_000;
        if ((owner !== "" && !this.alive(owner)) || orphan) rmSync(this.lock, { recursive: true, force: true });
        else await clock.sleep(20, signal);
        continue;
      }
      try {
        writeFileSync(join(this.lock, "pid"), SELF);
        return f();
      } finally {
        rmSync(this.lock, { recursive: true, force: true });
      }
    }
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function mtimeOr(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
