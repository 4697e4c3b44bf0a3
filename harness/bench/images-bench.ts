import { PostgreSqlContainer } from "@testcontainers/postgresql";
import { GenericContainer, Wait } from "testcontainers";
import { sweep } from "../cleanup/sweep.js";
import { LABEL, PROJECT, newRunId, runLabels } from "../common/labels.js";
import { configureTestcontainers, docker, ensureEngine } from "../engine/docker.js";
import { ImageBuilder } from "../images/builder.js";
import { median, type BenchFigure } from "./figures.js";

const RUNS = 10;

/**
 * Cold build of every local image (after removing them), warm check (nothing
 * to rebuild), and start-to-ready of the app and PostgreSQL (median of 10).
 */
export async function imagesBench(signal: AbortSignal): Promise<{ figures: BenchFigure[]; detail: unknown }> {
  await ensureEngine();
  configureTestcontainers();
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
      t = performance.now();
      const p = await new PostgreSqlContainer(pg.ref).withLabels(runLabels(runId, "bench-postgres")).start();
      pgReady.push((performance.now() - t) / 1000);
      await p.stop();
      process.stdout.write(`start-to-ready ${i + 1}/${RUNS}\r`);
    }
    const figures: BenchFigure[] = [
      { name: "cold build, all local images", value: coldSeconds, unit: "s", target: "<= 180 s", met: coldSeconds <= 180 },
      { name: "warm check (median of 3)", value: median(warmRuns), unit: "s", target: "<= 5 s", met: median(warmRuns) <= 5 },
      { name: "app start-to-ready (median of 10)", value: median(appReady), unit: "s", target: "<= 1.5 s", met: median(appReady) <= 1.5 },
      { name: "PostgreSQL start-to-ready (median of 10)", value: median(pgReady), unit: "s", target: "<= 3 s", met: median(pgReady) <= 3 },
    ];
    return { figures, detail: { builds, warmRuns, appReady, pgReady } };
  } finally {
    await sweep(runId);
  }
}
