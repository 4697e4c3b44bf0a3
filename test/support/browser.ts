import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/**
 * Debian's Chromium driven by playwright-core: Playwright's own browser
 * downloads are not reachable here, so the suite uses the distribution's
 * (scripts/test.sh installs it; CHROMIUM names another binary).
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: run \`bash scripts/tools.sh chromium\` (Debian's chromium package) or set CHROMIUM to a Chromium binary`);
  // --no-sandbox: the suite runs as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, args: ["--no-sandbox"] });
}
