import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { exec } from "../common/exec.js";
import { ROOT } from "../common/paths.js";
import { docker } from "../engine/docker.js";
import { catalog } from "../images/catalog.js";
import { runCommand } from "./cli-run.js";

/** The images a Docker canary-fail runs, with every image they are built on. */
export function imagesWithBases(names: readonly string[], specs = catalog()): string[] {
  const out = new Set<string>();
  const add = (name: string): void => {
    const spec = specs.get(name);
    if (!spec || out.has(name)) return;
    out.add(name);
    if (spec.kind !== "rootfs") add(spec.base);
  };
  for (const n of names) add(n);
  return [...out];
}

const CANARY_FAIL_IMAGES = ["postgres", "haproxy", "prometheus", "app:good-1", "app:erroring-1"];

interface TimedEvent {
  type: string;
  at?: string;
  image?: string;
  source?: string;
}

export interface ColdRun {
  seconds: number;
  verdict: string;
  /** From the command's start to the run's start: npm ci, the setup script, node and the harness's imports. */
  beforeRun: number;
  /** From the first image the run built to the last one ready (the Go builds of the tools in them included). */
  images: number;
  /** The run itself, its images included. */
  run: number;
  /** After the run: the report, the exit. */
  afterRun: number;
  built: string[];
}

/**
 * The first `npm run scenario canary-fail` on a machine of this kind where
 * nothing is built yet: a fresh clone of the committed tree (no
 * node_modules, no .cache), empty npm, Go module and Go build caches, and
 * none of the images the run uses in the engine (they are built again, with
 * the same recipes, so the project's own copies stay current). The Docker
 * engine stays installed and running: installing it is what only a new
 * machine does (scripts/engine.sh), and it cannot be undone here.
 */
export async function coldFirstRun(signal: AbortSignal, say: (line: string) => void): Promise<ColdRun> {
  const dir = mkdtempSync(join(tmpdir(), "gameday-cold-"));
  try {
    const clone = join(dir, "clone");
    await exec("git", ["clone", "--quiet", ROOT, clone], { hint: "the bench clones the project's committed tree" });
    const specs = catalog();
    const refs = imagesWithBases(CANARY_FAIL_IMAGES, specs).map((n) => specs.get(n)!.ref);
    for (const ref of refs) await docker().getImage(ref).remove({ force: true }).catch(() => undefined);
    say(`fresh clone, empty npm and Go caches, ${refs.length} images removed (${refs.join(", ")}); npm run scenario canary-fail...`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // Nothing of the project's own: its tools on PATH, its caches.
      PATH: (process.env.PATH ?? "").split(delimiter).filter((p) => !p.startsWith(ROOT)).join(delimiter),
      npm_config_cache: join(dir, "npm"),
      GOCACHE: join(dir, "gocache"),
      GOMODCACHE: join(dir, "gomod"),
      // The module cache writable, so that it can be removed after.
      GOFLAGS: "-modcacherw -buildvcs=false",
      INIT_CWD: clone,
    };
    const { runDir, seconds, startedAt } = await runCommand("npm", ["run", "--silent", "scenario", "--", "canary-fail"], signal, { cwd: clone, env });
    const events = readFileSync(join(runDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as TimedEvent);
    const wall = (type: string, pick: (e: TimedEvent) => boolean = () => true, last = false) => {
      const found = (last ? [...events].reverse() : events).find((e) => e.type === type && pick(e));
      return found?.at ? Date.parse(found.at) : NaN;
    };
    const runStarted = wall("run.started");
    const runFinished = wall("run.finished");
    const building = wall("image.building");
    const built = events.filter((e) => e.type === "image.ready" && e.source === "built").map((e) => e.image!);
    const lastBuilt = wall("image.ready", (e) => e.source === "built", true);
    const verdict = (JSON.parse(readFileSync(join(runDir, "results.json"), "utf8")) as { verdict: string }).verdict;
    const s = (ms: number) => Math.round(ms / 10) / 100;
    return {
      seconds: Math.round(seconds * 100) / 100,
      verdict,
      beforeRun: s(runStarted - startedAt),
      images: Number.isNaN(building) ? 0 : s(lastBuilt - building),
      run: s(runFinished - runStarted),
      afterRun: s(startedAt + seconds * 1000 - runFinished),
      built,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
