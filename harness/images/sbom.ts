import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { HarnessError, errorMessage } from "../common/errors.js";
import { exec } from "../common/exec.js";
import { LABEL } from "../common/labels.js";
import { ROOT } from "../common/paths.js";
import { ensureTool } from "../common/tools.js";
import { imageExists } from "../engine/docker.js";

/**
 * Software Bills of Materials (the document's Phase 2 image scanning, without
 * the vulnerability gate: its database cannot be downloaded here) of the
 * images the harness builds, made by syft (pinned and built by
 * scripts/tools.sh) in SPDX JSON from the image in the Docker engine. Each
 * is kept beside the image's recipe hash, `.cache/images/sbom/<how>/<image>-<hash>.spdx.json`,
 * so an image is scanned once per recipe; a run copies those of the images
 * it used into its folder (`sbom/`), and its report links them.
 */

/** How SBOMs are made (syft's version, its catalogers): a change here makes every SBOM anew. */
const SBOM_RECIPE = "syft-1.57.2-lock";
const SBOM_DIR = join(ROOT, ".cache", "images", "sbom", SBOM_RECIPE);
const SYFT = join(ROOT, ".cache", "tools", "bin", "syft");
const SYFT_HINT = "`bash scripts/tools.sh syft` builds syft into .cache/tools/bin (Go and the module proxy are needed once)";

/** An image to describe: its logical name, its reference in the engine, and its recipe hash (empty for an upstream image). */
export interface SbomSubject {
  readonly name: string;
  readonly ref: string;
  readonly hash: string;
}

export interface Sbom {
  readonly image: string;
  readonly ref: string;
  /** The SBOM file (SPDX 2.3 JSON). */
  readonly file: string;
  readonly packages: number;
  /** Wall seconds syft took; 0 when the SBOM was already there. */
  readonly seconds: number;
}

/** A file name for an image: its logical name with anything unsafe replaced. */
export function sbomName(image: string): string {
  return `${image.replace(/[^a-zA-Z0-9.-]+/g, "_")}.spdx.json`;
}

/** Packages an SPDX JSON document lists. */
export function spdxPackages(text: string): number {
  const doc = JSON.parse(text) as { spdxVersion?: unknown; packages?: unknown[] };
  if (typeof doc.spdxVersion !== "string" || !doc.spdxVersion.startsWith("SPDX-")) throw new Error("not an SPDX document");
  return doc.packages?.length ?? 0;
}

/** What identifies the image's content: its recipe hash, or the engine's image id for one without a recipe. */
async function contentKey(subject: SbomSubject): Promise<string> {
  if (subject.hash) return subject.hash;
  const info = await imageExists(subject.ref);
  if (!info) throw new HarnessError("IMAGE_BUILD_FAILED", `image ${subject.ref} is not in the Docker engine, so it has no SBOM`, { hint: "npm run images builds the harness's images" });
  return (info.Config?.Labels?.[LABEL.recipeHash] ?? info.Id.replace(/^sha256:/, "")).slice(0, 16);
}

/** Whether syft is built on this machine (scripts/tools.sh builds it in about 4 minutes on 2 cores). */
export function syftBuilt(): boolean {
  return existsSync(SYFT);
}

/** Where the SBOM of the image's content is kept. */
async function keptFile(subject: SbomSubject): Promise<string> {
  return join(SBOM_DIR, `${sbomName(subject.name).replace(/\.spdx\.json$/, "")}-${await contentKey(subject)}.spdx.json`);
}

/** The image's SBOM kept in `file`, if it was made before. */
function keptSbom(subject: SbomSubject, file: string): Sbom | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return { image: subject.name, ref: subject.ref, file, packages: spdxPackages(readFileSync(file, "utf8")), seconds: 0 };
  } catch {
    rmSync(file, { force: true });
    return undefined;
  }
}

/** The image's SBOM, made with syft the first time this content is seen and kept after. */
export async function ensureSbom(subject: SbomSubject, options: { signal?: AbortSignal } = {}): Promise<Sbom> {
  const file = await keptFile(subject);
  const kept = keptSbom(subject, file);
  if (kept) return kept;
  mkdirSync(SBOM_DIR, { recursive: true });
  const made = await makeSbom(subject.ref, file, options);
  return { image: subject.name, ref: subject.ref, file, ...made };
}

/** Scan the image in the engine with syft into `file` (SPDX JSON, written whole or not at all): its packages and the wall seconds it took. */
export async function makeSbom(ref: string, file: string, options: { signal?: AbortSignal } = {}): Promise<{ packages: number; seconds: number }> {
  await ensureTool("syft", { hint: SYFT_HINT, ...(options.signal ? { signal: options.signal } : {}) });
  const tmp = `${file}.${process.pid}.tmp`;
  const started = Date.now();
  try {
    // The lock-file cataloger too: the app image's package-lock.json names what esbuild bundled into app.js.
    await exec(SYFT, ["scan", `docker:${ref}`, "--quiet", "--select-catalogers", "+javascript-lock-cataloger", "--output", `spdx-json=${tmp}`], {
      env: { ...process.env, SYFT_CHECK_FOR_APP_UPDATE: "false" },
      timeoutMs: 600_000,
      hint: SYFT_HINT,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const packages = spdxPackages(readFileSync(tmp, "utf8"));
    renameSync(tmp, file);
    return { packages, seconds: (Date.now() - started) / 1000 };
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof HarnessError && e.code === "INTERRUPTED") throw e;
    throw new HarnessError("IMAGE_BUILD_FAILED", `syft could not make the SBOM of ${ref}: ${errorMessage(e)}`, { hint: SYFT_HINT, cause: e });
  }
}

/** The kept SBOM into a run folder: a hard link where both are on one file system (an SBOM can be megabytes, a suite makes hundreds of runs), else a copy. */
function placeInto(kept: string, target: string): void {
  rmSync(target, { force: true });
  try {
    linkSync(kept, target);
  } catch {
    copyFileSync(kept, target);
  }
}

/**
 * A run's SBOMs: one per image it used, copied into `<runDir>/sbom/`; each
 * entry names the file relative to the run folder. With `make: false` only
 * those already kept are copied, and the images without one are named in
 * `missing` (a new machine, where syft is not built yet: building it would
 * hold the first run's exit for minutes).
 */
export async function copySboms(
  runDir: string,
  images: readonly SbomSubject[],
  options: { signal?: AbortSignal; onMade?: (sbom: Sbom) => void; make?: boolean } = {},
): Promise<{ sboms: Array<Omit<Sbom, "file" | "seconds"> & { file: string }>; missing: string[] }> {
  const out: Array<Omit<Sbom, "file" | "seconds"> & { file: string }> = [];
  const missing: string[] = [];
  const dir = join(runDir, "sbom");
  for (const image of images) {
    const sbom = options.make === false ? keptSbom(image, await keptFile(image)) : await ensureSbom(image, options.signal ? { signal: options.signal } : {});
    if (!sbom) {
      missing.push(image.name);
      continue;
    }
    if (sbom.seconds > 0) options.onMade?.(sbom);
    mkdirSync(dir, { recursive: true });
    const name = sbomName(image.name);
    placeInto(sbom.file, join(dir, name));
    out.push({ image: sbom.image, ref: sbom.ref, file: `sbom/${name}`, packages: sbom.packages });
  }
  return { sboms: out, missing };
}
