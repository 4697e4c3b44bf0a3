import { HarnessError } from "../common/errors.js";
import { didYouMean } from "../common/suggest.js";
import type { PlatformName } from "../model/platform-name.js";
import { unsupported } from "../runner/steps.js";
import type { Scenario } from "../scenario/scenario.js";

/** A suite's choice of scenarios: by tag (any of), by name, and by the platform they run on. */
export interface SuiteFilter {
  tags: readonly string[];
  names: readonly string[];
  /** Run everything on this platform (what it cannot run is skipped, with the reason); unset: each on its own. */
  platform?: PlatformName;
}

export interface Selection {
  selected: Array<{ scenario: Scenario; platform: PlatformName }>;
  skipped: Array<{ name: string; reason: string }>;
}

/**
 * The tags a scenario is found by: its own (`tags:`), its platform, its
 * strategy, "dr" when it takes backups, "faults" when a step injects one,
 * and the document's environment it deploys (development, staging, production).
 */
export function tagsOf(s: Scenario): string[] {
  const tags = new Set([...s.tags, s.platform]);
  if (s.strategy) tags.add(s.strategy.name);
  if (s.backups.length > 0) tags.add("dr");
  if (s.steps.some((step) => step.fault)) tags.add("faults");
  if (s.environment) tags.add(s.environment);
  if (s.pipeline) tags.add("pipeline");
  return [...tags].sort();
}

/** The scenarios a suite runs, in name order, and those it leaves out because the platform cannot run them. */
export function selectScenarios(all: readonly Scenario[], filter: SuiteFilter): Selection {
  const names = new Set(all.map((s) => s.name));
  for (const n of filter.names) {
    if (!names.has(n)) throw new HarnessError("USAGE", `no scenario named "${n}"${didYouMean(n, [...names])}`, { hint: "gameday list shows every scenario" });
  }
  const known = new Set(all.flatMap(tagsOf));
  for (const t of filter.tags) {
    if (!known.has(t)) throw new HarnessError("USAGE", `no scenario has the tag "${t}"${didYouMean(t, [...known])}`, { hint: `tags: ${[...known].sort().join(", ")}` });
  }
  const out: Selection = { selected: [], skipped: [] };
  for (const s of [...all].sort((a, b) => a.name.localeCompare(b.name))) {
    if (filter.names.length > 0 && !filter.names.includes(s.name)) continue;
    if (filter.tags.length > 0 && !tagsOf(s).some((t) => filter.tags.includes(t))) continue;
    const platform = filter.platform ?? s.platform;
    const missing = unsupported(s, platform);
    if (missing.length > 0) out.skipped.push({ name: s.name, reason: `cannot run on ${platform}: ${missing.join(", ")}` });
    else out.selected.push({ scenario: s, platform });
  }
  if (out.selected.length === 0) {
    throw new HarnessError("USAGE", "the suite's filters leave no scenario to run", {
      hint: out.skipped.length > 0 ? `skipped: ${out.skipped.map((x) => `${x.name} (${x.reason})`).join("; ")}` : "gameday list shows every scenario",
    });
  }
  return out;
}
