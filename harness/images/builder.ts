import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync, createWriteStream, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build as esbuild } from "esbuild";
import { HarnessError, errorMessage } from "../common/errors.js";
import { exec } from "../common/exec.js";
import { ensureTool } from "../common/tools.js";
import { LABEL, PROJECT } from "../common/labels.js";
import { docker, imageExists } from "../engine/docker.js";
import type { ImageSource, Sink } from "../timeline/events.js";
import { ROOT } from "../common/paths.js";
import { bundledLock } from "./bundle-lock.js";
import { catalog, type ImageSpec } from "./catalog.js";

/** Bump to rebuild every local image after a change to how images are built. */
const RECIPE_FORMAT = "1";

export interface ResolvedImage {
  name: string;
  /** The reference to run: the upstream image or the local build. */
  ref: string;
  source: ImageSource;
  hash: string;
}

export interface ImageOptions {
  emit?: Sink;
  /** Try `docker pull` of upstream references (default: true). */
  pull?: boolean;
  /** Rebuild even when the recipe hash matches. */
  force?: boolean;
  /** Extra images beside the catalog's (tests use it for throwaway variants). */
  extra?: readonly ImageSpec[];
}

const CACHE_DIR = join(ROOT, ".cache", "images");
const pullFailed = new Set<string>();

/**
 * Resolves logical images to runnable references: an upstream image that is
 * present or pullable, else the local recipe, built only when its content
 * hash (recipe files, generated files, parent hash) is not already built.
 */
export class ImageBuilder {
  private readonly specs: Map<string, ImageSpec>;
  private readonly resolved = new Map<string, Promise<ResolvedImage>>();
  private readonly requested = new Set<string>();

  constructor(private readonly options: ImageOptions = {}) {
    this.specs = catalog();
    for (const s of options.extra ?? []) this.specs.set(s.name, s);
  }

  names(): string[] {
    return [...this.specs.keys()];
  }

  /** Resolve an image for use (its parents are resolved too, but not counted as used). */
  ensure(name: string): Promise<ResolvedImage> {
    this.requested.add(name);
    return this.once(name);
  }

  /** The images ensure() resolved, in the order asked for (what a run used: its SBOMs go into the run folder). */
  async used(): Promise<ResolvedImage[]> {
    const settled = await Promise.allSettled([...this.requested].map((n) => this.resolved.get(n)!));
    return settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  }

  private once(name: string): Promise<ResolvedImage> {
    let p = this.resolved.get(name);
    if (!p) {
      p = this.resolve(name);
      this.resolved.set(name, p);
    }
    return p;
  }

  /** Where an image stands without building anything (for `npm run doctor`). */
  async status(name: string): Promise<{ ref: string; state: "upstream" | "current" | "stale" | "missing" }> {
    const spec = this.spec(name);
    if (spec.kind === "dockerfile" && spec.upstream && (await imageExists(spec.upstream))) return { ref: spec.upstream, state: "upstream" };
    const parentHash = spec.kind === "rootfs" ? undefined : await this.expectedHash(spec.base);
    const hash = await this.hash(spec, parentHash, { build: false });
    const existing = await imageExists(spec.ref);
    const state = !existing ? "missing" : existing.Config?.Labels?.[LABEL.recipeHash] === hash ? "current" : "stale";
    return { ref: spec.ref, state };
  }

  private async expectedHash(name: string): Promise<{ ref: string; hash: string }> {
    const spec = this.spec(name);
    if (spec.kind === "dockerfile" && spec.upstream && (await imageExists(spec.upstream))) return { ref: spec.upstream, hash: "" };
    const parent = spec.kind === "rootfs" ? undefined : await this.expectedHash(spec.base);
    return { ref: spec.ref, hash: await this.hash(spec, parent, { build: false }) };
  }

  private spec(name: string): ImageSpec {
    const spec = this.specs.get(name);
    if (!spec) {
      throw new HarnessError("USAGE", `unknown image "${name}"`, { hint: `known images: ${[...this.specs.keys()].join(", ")}` });
    }
    return spec;
  }

  private async resolve(name: string): Promise<ResolvedImage> {
    const spec = this.spec(name);
    const started = Date.now();
    if (spec.kind === "dockerfile" && spec.upstream) {
      const upstream = await this.upstream(spec.upstream);
      if (upstream) return this.done(spec, upstream, "upstream", "", started);
    }
    const parent = spec.kind === "rootfs" ? undefined : await this.once(spec.base);
    // A tool the recipe copies in is built before the recipe's hash is known: say so, it can take a minute.
    if (spec.kind === "dockerfile" && spec.generated && spec.generated !== "app-bundle" && !existsSync(toolBinary(spec.generated)))
      this.options.emit?.({ type: "note", level: "info", message: `building ${spec.generated} for image ${name} from its Go module (first use on this machine; cached in .cache/tools/bin)` });
    const hash = await this.hash(spec, parent, { build: true });
    const existing = this.options.force ? undefined : await imageExists(spec.ref);
    if (existing?.Config?.Labels?.[LABEL.recipeHash] === hash) return this.done(spec, spec.ref, "cached", hash, started);
    this.options.emit?.({ type: "image.building", image: name, reason: existing ? "recipe changed" : "not built yet" });
    try {
      if (spec.kind === "rootfs") await this.buildRootfs(spec, hash);
      else if (spec.kind === "variant") await this.buildVariant(spec, parent!, hash);
      else await this.buildDockerfile(spec, parent!, hash);
    } catch (e) {
      if (e instanceof HarnessError) throw e;
      throw new HarnessError("IMAGE_BUILD_FAILED", `building image ${name} failed: ${errorMessage(e)}`, {
        hint: `see ${join(".cache", "images", `${safe(name)}.log`)}; \`npm run images -- --force\` rebuilds from nothing`,
        cause: e,
      });
    }
    return this.done(spec, spec.ref, "built", hash, started);
  }

  private done(spec: ImageSpec, ref: string, source: ImageSource, hash: string, started: number): ResolvedImage {
    this.options.emit?.({ type: "image.ready", image: spec.name, ref, source, seconds: (Date.now() - started) / 1000 });
    return { name: spec.name, ref, source, hash };
  }

  private async upstream(ref: string): Promise<string | undefined> {
    if (await imageExists(ref)) return ref;
    if (this.options.pull === false || pullFailed.has(ref)) return undefined;
    try {
      const stream = await docker().pull(ref);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("pull timed out")), 60_000);
        docker().modem.followProgress(stream, (err) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        });
      });
      return ref;
    } catch {
      pullFailed.add(ref);
      return undefined;
    }
  }

  /** The recipe's content hash; `build: false` (doctor's status) builds no tool a generated file comes from. */
  private async hash(spec: ImageSpec, parent: { ref: string; hash: string } | undefined, { build }: { build: boolean }): Promise<string> {
    const h = createHash("sha256").update(`${RECIPE_FORMAT}\n${spec.kind}\n${parent?.ref ?? ""}@${parent?.hash ?? ""}\n`);
    if (spec.kind === "rootfs") h.update(`${spec.suite}\n${spec.variant}\n`);
    if (spec.kind === "variant") h.update(JSON.stringify(spec.env));
    if (spec.kind === "dockerfile") {
      const dir = join(ROOT, "fixtures", "images", spec.recipeDir);
      for (const f of readdirSync(dir).sort()) h.update(`${f}\n`).update(readFileSync(join(dir, f)));
      for (const f of spec.common ?? []) h.update(`common/${f}\n`).update(readFileSync(join(COMMON_DIR, f)));
      if (spec.generated) for (const f of (await generatedFiles(spec.generated, { build })) ?? [{ name: "", content: "not built yet" }]) h.update(`${f.name}\n`).update(f.content);
    }
    return h.digest("hex").slice(0, 16);
  }

  private async buildRootfs(spec: Extract<ImageSpec, { kind: "rootfs" }>, hash: string): Promise<void> {
    // GAMEDAY_DEBIAN_SOURCES: a Debian sources file for a machine that is not Debian (the nightly workflow's Ubuntu runner).
    const sources = [process.env.GAMEDAY_DEBIAN_SOURCES, "/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"].find((f) => f && existsSync(f) && readFileSync(f, "utf8").trim() !== "");
    if (!sources) {
      throw new HarnessError("IMAGE_BUILD_FAILED", "the base image is built with mmdebstrap from this machine's Debian apt sources, and none were found", {
        hint: "run on Debian (or a machine with /etc/apt/sources.list), set GAMEDAY_DEBIAN_SOURCES to a file of Debian sources lines (with debian-archive-keyring installed, as .github/workflows/nightly.yml does), or load a Debian bookworm image yourself: `docker tag debian:bookworm-slim deploy-gameday/base:bookworm` is not enough, the recipe hash label must match, so prefer building on Debian",
      });
    }
    await exec("bash", [join(ROOT, "scripts", "tools.sh"), "mmdebstrap"], { hint: "mmdebstrap comes from Debian's package of that name" });
    const work = mkdtempSync(join(tmpdir(), "gameday-rootfs-"));
    try {
      const tar = join(work, "rootfs.tar");
      await exec("mmdebstrap", ["--quiet", `--variant=${spec.variant}`, spec.suite, tar], {
        input: readFileSync(sources),
        timeoutMs: 600_000,
      });
      const [repo, tag] = splitRef(spec.ref);
      const stream = await docker().importImage(createReadStream(tar) as unknown as string, {
        repo,
        tag,
        changes: [`LABEL ${LABEL.recipeHash}=${hash} ${LABEL.project}=${PROJECT}`],
      } as object);
      await follow(stream, this.logFile(spec.name));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  private async buildDockerfile(spec: Extract<ImageSpec, { kind: "dockerfile" }>, parent: ResolvedImage, hash: string): Promise<void> {
    const work = mkdtempSync(join(tmpdir(), "gameday-image-"));
    try {
      cpSync(join(ROOT, "fixtures", "images", spec.recipeDir), work, { recursive: true });
      for (const f of spec.common ?? []) cpSync(join(COMMON_DIR, f), join(work, f));
      if (spec.generated) for (const file of (await generatedFiles(spec.generated, { build: true }))!) writeFileSync(join(work, file.name), file.content, { mode: file.mode });
      await this.dockerBuild(spec.name, spec.ref, work, { BASE: parent.ref }, hash);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  /** A variant is its parent with environment defaults baked in. */
  private async buildVariant(spec: Extract<ImageSpec, { kind: "variant" }>, parent: ResolvedImage, hash: string): Promise<void> {
    const work = mkdtempSync(join(tmpdir(), "gameday-variant-"));
    try {
      const env = Object.entries(spec.env).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      writeFileSync(join(work, "Dockerfile"), `FROM ${parent.ref}\n${env.length ? `ENV ${env.join(" ")}\n` : ""}`);
      await this.dockerBuild(spec.name, spec.ref, work, {}, hash);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  private async dockerBuild(name: string, ref: string, context: string, buildargs: Record<string, string>, hash: string): Promise<void> {
    const stream = await docker().buildImage(
      { context, src: readdirSync(context) },
      { t: ref, buildargs, labels: { [LABEL.recipeHash]: hash, [LABEL.project]: PROJECT }, rm: true, forcerm: true },
    );
    await follow(stream, this.logFile(name));
  }

  private logFile(name: string): string {
    mkdirSync(CACHE_DIR, { recursive: true });
    return join(CACHE_DIR, `${safe(name)}.log`);
  }
}

/** Files recipes share (fixtures/images/common), copied into the build context of each recipe that names them. */
const COMMON_DIR = join(ROOT, "fixtures", "images", "common");

const toolHint = (tool: string) => `\`bash scripts/tools.sh ${tool}\` builds it into .cache/tools/bin (Go and the module proxy are needed once)`;

/** Where scripts/tools.sh builds a tool. */
const toolBinary = (tool: string) => join(ROOT, ".cache", "tools", "bin", tool);

/** Files an image's recipe copies in that are made, not kept: the bundled app (with its packages' lock file), or a tool's binary (built on first use). */
async function generatedFiles(
  kind: NonNullable<Extract<ImageSpec, { kind: "dockerfile" }>["generated"]>,
  { build }: { build: boolean },
): Promise<Array<{ name: string; content: string | Buffer; mode: number }> | undefined> {
  if (kind === "app-bundle") {
    const app = await bundleApp();
    return [
      { name: "app.js", content: app.code, mode: 0o644 },
      { name: "package-lock.json", content: app.lock, mode: 0o644 },
    ];
  }
  // The pinned static build of scripts/tools.sh, never another copy on PATH: its bytes are part of the recipe.
  if (build) await ensureTool(kind, { hint: toolHint(kind) });
  const binary = toolBinary(kind);
  return existsSync(binary) ? [{ name: kind, content: readFileSync(binary), mode: 0o755 }] : undefined;
}

/** The reference service bundled into one file for the app image, and the lock file of the packages in it (for its SBOM). */
let bundle: Promise<{ code: string; lock: string }> | undefined;
export function bundleApp(): Promise<{ code: string; lock: string }> {
  bundle ??= esbuild({
    entryPoints: [join(ROOT, "fixtures", "app", "src", "main.ts")],
    bundle: true,
    platform: "node",
    target: "node18",
    format: "cjs",
    write: false,
    metafile: true,
    logLevel: "silent",
    legalComments: "none",
  }).then((r) => ({
    code: r.outputFiles[0]!.text,
    lock: bundledLock(Object.keys(r.metafile.inputs), readFileSync(join(ROOT, "package-lock.json"), "utf8"), { name: "evaluation-api", version: "1.0.0" }),
  }));
  return bundle;
}

function splitRef(ref: string): [string, string] {
  const i = ref.lastIndexOf(":");
  return [ref.slice(0, i), ref.slice(i + 1)];
}

function safe(name: string): string {
  return name.replace(/[^a-zA-Z0-9.-]+/g, "_");
}

/** Follow a build/import stream to the end, writing it to a log file; build errors in the stream reject. */
function follow(stream: NodeJS.ReadableStream, logFile: string): Promise<void> {
  const log = createWriteStream(logFile);
  return new Promise<void>((resolve, reject) => {
    let failure: string | undefined;
    docker().modem.followProgress(
      stream,
      (err) => {
        log.end();
        if (err) reject(err);
        else if (failure) reject(new Error(failure.trim()));
        else resolve();
      },
      (event: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (event.stream) log.write(event.stream);
        if (event.status) log.write(`${event.status}\n`);
        if (event.error) {
          failure = event.errorDetail?.message ?? event.error;
          log.write(`ERROR: ${failure}\n`);
        }
      },
    );
  });
}
