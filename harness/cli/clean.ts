import { parseArgs } from "node:util";
import { sweep } from "../cleanup/sweep.js";
import { ExitCode } from "../common/errors.js";
import { LABEL, PROJECT } from "../common/labels.js";
import { docker, ensureEngine } from "../engine/docker.js";

/** `npm run clean`: remove every container and network the harness labelled (and its images with --images). */
export async function cleanCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { images: { type: "boolean" }, force: { type: "boolean" } } });
  await ensureEngine();
  const removed = await sweep(undefined, undefined, { includeLiveRuns: values.force === true });
  if (removed.skippedLiveRuns.length > 0) {
    console.log(`left alone: ${removed.skippedLiveRuns.join(", ")} (still running; stop it, or use -- --force)`);
  }
  console.log(`removed ${removed.containers.length} container(s)${removed.containers.length ? `: ${removed.containers.join(", ")}` : ""}`);
  console.log(`removed ${removed.networks.length} network(s)${removed.networks.length ? `: ${removed.networks.join(", ")}` : ""}`);
  if (values.images) {
    const images = await docker().listImages({ filters: { label: [`${LABEL.project}=${PROJECT}`] } });
    for (const img of images) await docker().getImage(img.Id).remove({ force: true }).catch(() => undefined);
    console.log(`removed ${images.length} image(s); the next run builds them again`);
  }
  return ExitCode.held;
}
