import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { systemClock, type Clock } from "../common/clock.js";
import { withDirLock } from "../common/dir-lock.js";
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
 *
 * Waiting runs queue (`.state/budget/queue/`): a run is let in only when it
 * fits and no run that began waiting before it is still waiting. Without the
 * queue, a command running scenarios one after another takes each next share
 * the moment it gives the last back, and a run of another command waits for
 * as long as that command goes on.
 */
export class MachineBudget {
  private readonly claims: string;
  private readonly queue: string;
  private readonly lock: string;

  constructor(
    private readonly o: { dir?: string; cores?: number; clock?: Clock; pollMs?: number; alive?: (owner: ProcessIdentity) => boolean } = {},
  ) {
    const dir = o.dir ?? join(STATE_DIR, "budget");
    this.claims = join(dir, "claims");
    this.queue = join(dir, "queue");
    this.lock = join(dir, "lock");
    mkdirSync(this.claims, { recursive: true });
    mkdirSync(this.queue, { recursive: true });
  }

  get cores(): number {
    return this.o.cores ?? MACHINE_CORES;
  }

  /** The live claims of other runs. */
  holders(): Claim[] {
    return this.live(this.claims);
  }

  /** The runs waiting for a share, the longest-waiting first. */
  waiting(): Claim[] {
    return this.live(this.queue).sort((a, b) => a.since - b.since || a.runId.localeCompare(b.runId));
  }

  private live(folder: string): Claim[] {
    const out: Claim[] = [];
    for (const f of readdirSync(folder)) {
      const path = join(folder, f);
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
    const ticket = join(this.queue, `${run.runId}.json`);
    const claim = (noWait: boolean, since = Date.now()): Claim => ({ runId: run.runId, scenario: run.scenario, pid: process.pid, owner: SELF, cores: run.cores, since, ...(noWait ? { noWait: true as const } : {}) });
    try {
      for (;;) {
        const decided = await this.locked(clock, run.signal, () => {
          const others = this.holders();
          const used = others.reduce((a, c) => a + c.cores, 0);
          const fit = others.length === 0 || used + run.cores <= this.cores + 1e-9;
          // Those queued before this run: all of them while it has no place in the queue yet.
          const queue = this.waiting();
          const mine = queue.findIndex((w) => w.runId === run.runId);
          const ahead = mine < 0 ? queue : queue.slice(0, mine);
          if (run.wait && (!fit || ahead.length > 0)) {
            // A place after every run queued so far, even one queued within the same millisecond.
            if (mine < 0) writeFileSync(ticket, JSON.stringify(claim(false, Math.max(Date.now(), ...queue.map((w) => w.since + 1)))));
            return { taken: false as const, others, used, ahead };
          }
          writeFileSync(join(this.claims, `${run.runId}.json`), JSON.stringify(claim(!fit)));
          rmSync(ticket, { force: true });
          return { taken: true as const, others, fit };
        });
        if (decided.taken) {
          const path = join(this.claims, `${run.runId}.json`);
          return { release: () => rmSync(path, { force: true }), waitedMs: waited ? clock.now() - started : 0, beside: decided.others, fit: decided.fit };
        }
        const holding = decided.others.map((c) => `${c.scenario} (run ${c.runId}, pid ${c.pid}) holds ${c.cores}`).join("; ") || "no run holds any";
        const queued = decided.ahead.length > 0 ? `; before it in the queue: ${decided.ahead.map((c) => `${c.scenario} (run ${c.runId})`).join(", ")}` : "";
        const message = `waiting for ${run.cores} of the machine's ${this.cores} cores: ${holding}; ${round(this.cores - decided.used)} free${queued} (--no-wait starts at once, at your own risk)`;
        if (message !== told) run.onWait?.(message);
        told = message;
        waited = true;
        await clock.sleep(this.o.pollMs ?? 500, run.signal);
      }
    } finally {
      rmSync(ticket, { force: true });
    }
  }

  private alive(owner: ProcessIdentity): boolean {
    return this.o.alive ? this.o.alive(owner) : ownerAlive(owner, { self: true });
  }

  /** Runs `f` holding the budget's lock; a lock left by a process that is gone is broken. */
  private locked<T>(clock: Clock, signal: AbortSignal | undefined, f: () => T): Promise<T> {
    return withDirLock(this.lock, f, { clock, ...(signal ? { signal } : {}), alive: (owner) => this.alive(owner) });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
