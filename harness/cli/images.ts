import { parseArgs } from "node:util";
import { ExitCode } from "../common/errors.js";
import { ensureEngine } from "../engine/docker.js";
import { ImageBuilder } from "../images/builder.js";
import { formatDuration } from "../common/duration.js";
import { ensureSbom } from "../images/sbom.js";

/** `npm run images`: resolve (and build where needed) every image in the catalog, with progress; then each image's SBOM (syft, once per recipe). */
export async function imagesCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { force: { type: "boolean" } } });
  await ensureEngine();
  const builder = new ImageBuilder({
    force: values.force === true,
    emit: (e) => {
      if (e.type === "image.building") console.log(`building ${e.image} (${e.reason})...`);
      if (e.type === "image.ready") console.log(`${e.image.padEnd(18)} ${e.source.padEnd(8)} ${e.ref} (${formatDuration(e.seconds * 1000)})`);
    },
  });
  for (const name of builder.names()) await builder.ensure(name);
  for (const image of await builder.used()) {
    const sbom = await ensureSbom(image);
    console.log(`${image.name.padEnd(18)} sbom     ${sbom.packages} packages (${sbom.seconds > 0 ? `made by syft in ${formatDuration(sbom.seconds * 1000)}` : "kept"})`);
  }
  return ExitCode.held;
}
