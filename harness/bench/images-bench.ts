import { spawn } from "node:child_process";
import { PostgreSqlContainer } from "@testcontainers/postgresql";
import { GenericContainer, Wait } from "testcontainers";
import { sweep } from "../cleanup/sweep.js";
import { LABEL, PROJECT, newRunId, runLabels } from "../common/labels.js";
import { configureTestcontainers, docker, ensureEngine } from "../engine/docker.js";
import { ImageBuilder } from "../images/builder.js";
import { DB } from "../model/database.js";
import { median, type BenchFigure } from "./figures.js";

const RUNS = 10;

/** What `canary-fail --platform kind` loads into the node (its run's "kind load docker-image" line). */
const CANARY_FAIL_KIND_LOAD = ["app:good-1", "app:erroring-1", "haproxy", "prometheus"];

/**
 * Each local image's size, and the bytes `kind load` sends for canary-fail:
 * `docker save` of its images together, where layers they share count once
 * (the target: <= 250 MB).
 */
async function imageSizes(signal: AbortSignal): Promise<{ figures: BenchFigure[]; sizes: Record<string, number> }> {
  const builder = new ImageBuilder({ pull: false });
  const sizes: Record<string, number> = {};
  for (const n of builder.names()) {
    const { ref } = await builder.ensure(n);
    sizes[n] = (await docker().getImage(ref).inspect()).Size;
  }
  const refs = await Promise.all(CANARY_FAIL_KIND_LOAD.map(async (n) => (await builder.ensure(n)).ref));
  const saved = await new Promise<number>((resolve, reject) => {
    const child = spawn("docker", ["save", ...refs], { stdio: ["ignore", "pipe", "inherit"], signal });
    let bytes = 0;
    child.stdout.on("data", (d: Buffer) => (bytes += d.length));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(bytes) : reject(new Error(`docker save exited ${code}`))));
  });
  const mb = (b: number) => b / 1e6;
  const figures: BenchFigure[] = [
    ...Object.entries(sizes).filter(([n]) => !n.includes(":")).map(([n, b]) => ({ name: `image ${n}`, value: mb(b), unit: "MB" })),
    { name: `kind load for canary-fail (${CANARY_FAIL_KIND_LOAD.join(", ")}; shared layers once)`, value: mb(saved), unit: "MB", target: "<= 250 MB", met: saved <= 250e6 },
  ];
  return { figures, sizes };
}

/**
 * Cold build of every local image (after removing them), warm check (nothing
 * to rebuild), start-to-ready of the app and PostgreSQL (median of 10), and
 * the images' sizes. `--sizes` measures the sizes alone.
 */
export async function imagesBench(signal: AbortSignal, args: readonly string[] = []): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  await ensureEngine();
  configureTestcontainers();
  if (args.includes("--sizes")) {
    const { figures, sizes } = await imageSizes(signal);
    return { figures, detail: { sizes } };
  }
  const runId = newRunId("bench-images");
  try {
    const images = await docker().listImages({ filters: { label: [`${LABEL.project}=${PROJECT}`] } });
    for (const img of images) await docker().getImage(img.Id).remove({ force: true }).catch(() => undefined);
    console.log(`removed ${images.length} project image(s); cold build of all local images...`);
    const builds: Record<string, number> = {};
    let t = performance.now();
    const cold = new ImageBuilder({ pull: false, emit: (e) => e.type === "image.ready" && (builds[e.image] = e.seconds) });
    for (const n of cold.names()) await cold.ensure(n);
    const coldSeconds = (performance.now() - t) / 1000;
    console.log(`cold build: ${coldSeconds.toFixed(1)} s`);

    const warmRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      const warm = new ImageBuilder({ pull: false });
      for (const n of warm.names()) {
        const r = await warm.ensure(n);
        if (r.source === "built") throw new Error(`warm check rebuilt ${n}`);
      }
      warmRuns.push((performance.now() - t) / 1000);
    }

    const app = await new ImageBuilder({ pull: false }).ensure("app:good-1");
    const pg = await new ImageBuilder({ pull: false }).ensure("postgres");
    const appReady: number[] = [];
    const pgReady: number[] = [];
    const pgFresh: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      signal.throwIfAborted();
      t = performance.now();
      const a = await new GenericContainer(app.ref)
        .withExposedPorts(8000)
        .withLabels(runLabels(runId, "bench-app"))
        .withWaitStrategy(Wait.forLogMessage(/"msg":"listening"/))
        .start();
      appReady.push((performance.now() - t) / 1000);
      await a.stop();
      // As a run starts it (the harness's credentials: the cluster baked into the image), and with others (initdb at start).
      t = performance.now();
      const p = await new PostgreSqlContainer(pg.ref).withUsername(DB.user).withPassword(DB.password).withDatabase(DB.name).withLabels(runLabels(runId, "bench-postgres")).start();
      pgReady.push((performance.now() - t) / 1000);
      await p.stop();
      t = performance.now();
      const fresh = await new PostgreSqlContainer(pg.ref).withLabels(runLabels(runId, "bench-postgres")).start();
      pgFresh.push((performance.now() - t) / 1000);
      await fresh.stop();
      process.stdout.write(`start-to-ready ${i + 1}/${RUNS}\r`);
    }
    const figures: BenchFigure[] = [
      { name: "cold build, all local images", value: coldSeconds, unit: "s", target: "<= 180 s", met: coldSeconds <= 180 },
      { name: "warm check (median of 3)", value: median(warmRuns), unit: "s", target: "<= 5 s", met: median(warmRuns) <= 5 },
      { name: "app start-to-ready (median of 10)", value: median(appReady), unit: "s", target: "<= 1.5 s", met: median(appReady) <= 1.5 },
      { name: "PostgreSQL start-to-ready, as a run starts it (median of 10)", value: median(pgReady), unit: "s", target: "<= 3 s", met: median(pgReady) <= 3 },
      { name: "  with other credentials: initdb at start (median of 10)", value: median(pgFresh), unit: "s" },
    ];
    const sized = await imageSizes(signal);
    return { figures: [...figures, ...sized.figures], detail: { builds, warmRuns, appReady, pgReady, pgFresh, sizes: sized.sizes } };
  } finally {
    await sweep(runId);
  }
}
