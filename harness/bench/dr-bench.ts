import { spawn } from "node:child_process";
import { openSync, closeSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { HarnessError } from "../common/errors.js";
import { errorLines } from "../common/exec.js";
import { LABEL } from "../common/labels.js";
import { ROOT } from "../common/paths.js";
import { docker, ensureEngine } from "../engine/docker.js";
import { DockerPlatform } from "../platforms/docker/docker-platform.js";
import { DB } from "../platforms/postgres.js";
import { BackupStore, type Retention } from "../recovery/backup-store.js";
import { backupDatabase, restoreDatabase } from "../recovery/database-backup.js";
import { runScenario } from "../runner/run-scenario.js";
import { standaloneContext } from "../runner/standalone-context.js";
import { loadScenario, resolveScenarioPath } from "../scenario/load-scenario.js";
import { median, medianRatio, type BenchFigure } from "./figures.js";
import { countRows, freshDatabase, mb, run, seconds, serviceSchemaDatabase } from "./dr-bench-database.js";
import { RTO_PHASES, medianSplit, parseEvents, partName, splitRto, type RtoSplit } from "./rto-split.js";

const SCENARIO = "dr-pg-restore";
const RATIO_TARGET = 1.1;
const RTO_TARGET_SECONDS = 30;
const YEAR = 365 * 86_400_000;
/** The bench's store keeps every backup it takes. */
const RETENTION: Retention = { database: YEAR, "application-data": YEAR, configuration: YEAR };
const CONNECT = ["--username", DB.user, "--dbname", DB.name] as const;
/** The harness's restore flags (harness/recovery/database-backup.ts), for the restore by hand. */
const RESTORE_FLAGS = ["--no-owner", "--clean", "--if-exists", "--single-transaction"] as const;

interface Options {
  /** Interleaved pairs of backups and of restores. */
  runs: number;
  /** Runs of the dr-pg-restore scenario. */
  rtoRuns: number;
  sizeMb: number;
  data: boolean;
  rto: boolean;
}

function parseOptions(args: readonly string[]): Options {
  const options: Options = { runs: 5, rtoRuns: 3, sizeMb: 200, data: true, rto: true };
  for (const a of args) {
    const [key, value] = a.split("=", 2) as [string, string | undefined];
    const n = Number(value);
    if (key === "--runs" && Number.isInteger(n) && n >= 1) options.runs = n;
    else if (key === "--rto-runs" && Number.isInteger(n) && n >= 1) options.rtoRuns = n;
    else if (key === "--size-mb" && Number.isFinite(n) && n > 0) options.sizeMb = n;
    else if (a === "--only=data") options.rto = false;
    else if (a === "--only=rto") options.data = false;
    else throw new HarnessError("USAGE", `bench dr does not know ${a}`, { hint: "npm run bench -- dr [--runs=5] [--rto-runs=3] [--size-mb=200] [--only=data|--only=rto]" });
  }
  return options;
}

/**
 * Disaster recovery: (a) a database of at least 200 MB written with the
 * reference service's own schema (the service migrates it, then
 * `INSERT ... SELECT generate_series` fills it); (b) the harness's backup
 * (`pg_dump -Fc` streamed out of the container through age and sha256 into
 * the backup store) beside `docker exec <db> pg_dump -Fc > file`, as a person
 * would type it, interleaved; (c) the harness's restore (verification, then
 * decryption into `pg_restore` in the container) beside `docker exec -i <db>
 * pg_restore <same flags> < file`, each into a fresh database, interleaved;
 * (d) the RTO of the dr-pg-restore scenario split into its parts.
 */
export async function drBench(signal: AbortSignal, args: readonly string[]): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  const options = parseOptions(args);
  await ensureEngine();
  const figures: BenchFigure[] = [];
  // Other work on the machine moves every figure: the load average before and after says how much there was.
  const detail: Record<string, unknown> = { options, loadAverageBefore: loadavg() };
  if (options.data) {
    const work = await mkdtemp(join(tmpdir(), "gameday-dr-bench-"));
    try {
      const data = await backupAndRestore(signal, options, work);
      figures.push(...data.figures);
      detail.data = data.detail;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  if (options.rto) {
    const rto = await rtoRuns(signal, options.rtoRuns);
    figures.push(...rto.figures);
    detail.rto = rto.detail;
  }
  detail.loadAverageAfter = loadavg();
  console.log(`load average (1, 5, 15 min): before ${fmtLoad(detail.loadAverageBefore as number[])}, after ${fmtLoad(loadavg())}`);
  return { figures, detail };
}

const fmtLoad = (l: readonly number[]) => l.map((x) => x.toFixed(1)).join(" ");

/** A platform context of the bench's own: its containers carry its run id and go with dispose(), on failure too. */
function benchContext(name: string, signal: AbortSignal) {
  return standaloneContext(name, { logRoot: join(ROOT, "runs", "bench", "logs"), signal, reaper: true });
}


async function backupAndRestore(signal: AbortSignal, options: Options, work: string): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  const plainFile = join(work, "plain.dump");
  const source = benchContext("bench-dr-source", signal);
  const store = await BackupStore.open({ runId: source.runId, retention: RETENTION, emit: source.emit, stateDir: join(work, "state"), signal });
  let database: { bytes: number; rows: number; fillSeconds: number };
  const backup = { harness: [] as number[], plain: [] as number[], inContainer: [] as number[], encryptedBytes: 0, plainBytes: 0 };
  try {
    const platform = new DockerPlatform(source);
    const db = await platform.startDatabase();
    database = await serviceSchemaDatabase(platform, db, options.sizeMb * 1e6, signal);
    const id = await containerOf(source.runId);

    // Interleaved, the order swapped every run: neither side always goes first into a warm cache.
    for (let i = 0; i < options.runs; i++) {
      const order = i % 2 === 0 ? (["harness", "plain"] as const) : (["plain", "harness"] as const);
      for (const side of order) {
        signal.throwIfAborted();
        const t = performance.now();
        if (side === "harness") {
          const entry = await backupDatabase(db, store, { wallMs: Date.now(), specMs: i * 3_600_000 });
          backup.harness.push(seconds(t));
          backup.encryptedBytes = entry.bytes;
        } else {
          await byHand(["exec", id, "pg_dump", "--format=custom", ...CONNECT], { stdout: plainFile }, signal);
          backup.plain.push(seconds(t));
          backup.plainBytes = statSync(plainFile).size;
        }
      }
      // pg_dump alone, to a file in the container: what the transport out of the container costs both sides.
      const t = performance.now();
      await run(db.exec(["pg_dump", "--format=custom", ...CONNECT, "--file=/tmp/bench.dump"]));
      backup.inContainer.push(seconds(t));
      await run(db.exec(["rm", "-f", "/tmp/bench.dump"]));
      console.log(
        `backup ${i + 1}/${options.runs}: harness ${backup.harness[i]!.toFixed(2)} s, by hand ${backup.plain[i]!.toFixed(2)} s, pg_dump in the container ${backup.inContainer[i]!.toFixed(2)} s`,
      );
    }
  } finally {
    await source.dispose();
  }

  // The disaster: the source is gone; each restore goes into a fresh, empty database of a new PostgreSQL.
  const target = benchContext("bench-dr-target", signal);
  const restore = { harness: [] as number[], harnessRestore: [] as number[], harnessVerify: [] as number[], plain: [] as number[] };
  try {
    const db = await new DockerPlatform(target).startDatabase();
    const id = await containerOf(target.runId);
    for (let i = 0; i < options.runs; i++) {
      const order = i % 2 === 0 ? (["harness", "plain"] as const) : (["plain", "harness"] as const);
      for (const side of order) {
        signal.throwIfAborted();
        await freshDatabase(db);
        const t = performance.now();
        if (side === "harness") {
          const restored = await restoreDatabase(db, store, { emit: target.emit });
          restore.harness.push(seconds(t));
          restore.harnessRestore.push(restored.seconds);
          restore.harnessVerify.push(restored.verifySeconds);
        } else {
          await byHand(["exec", "-i", id, "pg_restore", ...RESTORE_FLAGS, ...CONNECT], { stdin: plainFile }, signal);
          restore.plain.push(seconds(t));
        }
        const rows = await countRows(db);
        if (rows !== database.rows) throw new HarnessError("COMMAND_FAILED", `the ${side} restore brought back ${rows} rows of ${database.rows}`);
      }
      console.log(
        `restore ${i + 1}/${options.runs}: harness ${restore.harness[i]!.toFixed(2)} s (verify ${restore.harnessVerify[i]!.toFixed(2)} s, pg_restore ${restore.harnessRestore[i]!.toFixed(2)} s), by hand ${restore.plain[i]!.toFixed(2)} s`,
      );
    }
  } finally {
    await target.dispose();
  }

  const runs = `median of ${options.runs}`;
  const backupRatio = medianRatio(backup.harness, backup.plain);
  // The restore proper (age -d | pg_restore) beside pg_restore by hand; the verification before it is its own figure, and the whole beside by hand too.
  const restoreRatio = medianRatio(restore.harnessRestore, restore.plain);
  const totalRatio = medianRatio(restore.harness, restore.plain);
  const figures: BenchFigure[] = [
    { name: "database size (pg_database_size)", value: mb(database.bytes), unit: "MB", target: ">= 200 MB", met: database.bytes >= 200e6 },
    { name: "rows in evaluations", value: database.rows, unit: "rows" },
    { name: "pg_dump -Fc archive", value: mb(backup.plainBytes), unit: "MB" },
    { name: "harness backup file (age)", value: mb(backup.encryptedBytes), unit: "MB" },
    { name: `backup, harness: pg_dump | age | sha256 > store (${runs})`, value: median(backup.harness), unit: "s" },
    { name: `backup, by hand: docker exec pg_dump -Fc > file (${runs})`, value: median(backup.plain), unit: "s" },
    { name: `backup, pg_dump -Fc to a file in the container (${runs})`, value: median(backup.inContainer), unit: "s" },
    { name: "backup ratio harness / by hand (median of pairs)", value: backupRatio, unit: "x", target: `<= ${RATIO_TARGET}`, met: backupRatio <= RATIO_TARGET },
    { name: "backup ratio harness / pg_dump in the container", value: medianRatio(backup.harness, backup.inContainer), unit: "x" },
    { name: `restore, harness: verify + age -d | pg_restore (${runs})`, value: median(restore.harness), unit: "s" },
    { name: `restore, harness: verification (sha256, age, pg_restore --list) (${runs})`, value: median(restore.harnessVerify), unit: "s" },
    { name: `restore, harness: age -d | pg_restore (${runs})`, value: median(restore.harnessRestore), unit: "s" },
    { name: `restore, by hand: docker exec -i pg_restore < file (${runs})`, value: median(restore.plain), unit: "s" },
    { name: "restore ratio harness / by hand, verification apart (median of pairs)", value: restoreRatio, unit: "x", target: `<= ${RATIO_TARGET}`, met: restoreRatio <= RATIO_TARGET },
    { name: "restore ratio harness / by hand, verification included", value: totalRatio, unit: "x", target: `<= ${RATIO_TARGET}`, met: totalRatio <= RATIO_TARGET },
  ];
  return { figures, detail: { database, backup, restore } };
}

/** The PostgreSQL container of a bench context (by its labels): the name a person would give `docker exec`. */
async function containerOf(runId: string): Promise<string> {
  const found = await docker().listContainers({ filters: { label: [`${LABEL.runId}=${runId}`, `${LABEL.role}=database`] } });
  if (found.length !== 1) throw new HarnessError("CONTAINER_FAILED", `expected one database container of ${runId}, found ${found.length}`);
  return found[0]!.Id;
}

/** `docker <args>` with stdin from a file and stdout to a file, as a shell's `<` and `>` would: nothing of the harness in between. */
function byHand(args: readonly string[], io: { stdin?: string; stdout?: string }, signal: AbortSignal): Promise<void> {
  const stdin = io.stdin ? openSync(io.stdin, "r") : "ignore";
  const stdout = io.stdout ? openSync(io.stdout, "w", 0o600) : "ignore";
  return new Promise<void>((resolve, reject) => {
    const child = spawn("docker", args, { stdio: [stdin, stdout, "pipe"], signal });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => void (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) return resolve();
      reject(new HarnessError("COMMAND_FAILED", `\`docker ${args.join(" ")}\` exited with ${code}:\n${errorLines(stderr).map((l) => `  ${l}`).join("\n")}`));
    });
  }).finally(() => {
    if (typeof stdin === "number") closeSync(stdin);
    if (typeof stdout === "number") closeSync(stdout);
  });
}



/**
 * The dr-pg-restore scenario `runs` times through the runner; each run's
 * timeline is split into the RTO's parts (see rto-split.ts). Without the
 * scenario, one figure says it was not measured.
 */
async function rtoRuns(signal: AbortSignal, runs: number): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  let path: string;
  try {
    path = resolveScenarioPath(SCENARIO);
  } catch (e) {
    if (!(e instanceof HarnessError) || e.code !== "SCENARIO_NOT_FOUND") throw e;
    console.log(`RTO: scenario ${SCENARIO} is missing; not measured`);
    return {
      figures: [{ name: `RTO of ${SCENARIO}, disaster to first write`, value: Number.NaN, unit: "s", target: `< ${RTO_TARGET_SECONDS} s`, met: false, note: `not measured: scenario ${SCENARIO} missing` }],
      detail: { measured: false, reason: `scenario ${SCENARIO} missing` },
    };
  }
  const scenario = loadScenario(path);
  const runsDir = join(ROOT, "runs", "bench", "dr");
  const splits: RtoSplit[] = [];
  const outcomes: unknown[] = [];
  for (let i = 0; i < runs; i++) {
    signal.throwIfAborted();
    const outcome = await runScenario(scenario, { signal, runsDir });
    const split = splitRto(parseEvents(await readFile(join(outcome.runDir, "events.jsonl"), "utf8")));
    if (split) splits.push(split);
    outcomes.push({ runDir: outcome.runDir, verdict: outcome.verdict, wallSeconds: outcome.results.wallSeconds, split });
    const parts = split?.parts.map((p) => `${p.phase} +${p.seconds.toFixed(2)}`).join(", ") ?? "no database-loss fault in the timeline";
    console.log(`${SCENARIO} ${i + 1}/${runs}: ${outcome.verdict}; RTO ${split?.totalSeconds?.toFixed(2) ?? "n/a"} s (${parts})`);
  }
  const m = medianSplit(splits);
  const passed = outcomes.filter((o) => (o as { verdict: string }).verdict === "passed").length;
  const figures: BenchFigure[] = [{ name: `${SCENARIO} runs passed`, value: passed, unit: `of ${runs}` }];
  for (const p of m.parts) {
    const known = (RTO_PHASES as readonly string[]).includes(p.phase);
    figures.push({ name: `RTO part: ${partName(p.phase)}${known ? "" : " (phase unknown to the bench)"} (median of ${p.runs})`, value: p.seconds, unit: "s" });
  }
  figures.push(
    m.totalSeconds === undefined
      ? { name: `RTO of ${SCENARIO}, disaster to first write`, value: Number.NaN, unit: "s", target: `< ${RTO_TARGET_SECONDS} s`, met: false, note: "not measured: no run recorded the first write after recovery" }
      : { name: `RTO of ${SCENARIO}, disaster to first write (median of ${m.runs}), wall`, value: m.totalSeconds, unit: "s", target: `< ${RTO_TARGET_SECONDS} s`, met: m.totalSeconds < RTO_TARGET_SECONDS },
  );
  return { figures, detail: { measured: true, runs: outcomes, medians: m } };
}
