import type { Stamped, TimelineEvent } from "../timeline/events.js";
import { esc } from "./html.js";

type Of<T extends TimelineEvent["type"]> = Stamped<Extract<TimelineEvent, { type: T }>>;

/** Spec time as "2h15m" (spec seconds in). */
function spec(seconds: number): string {
  const m = Math.round(seconds / 60);
  const h = Math.floor(m / 60);
  return h > 0 ? `${h}h${String(m % 60).padStart(2, "0")}m` : `${m}m`;
}

function bytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} kB` : `${n} B`;
}

/**
 * Disaster recovery in a report: every backup with its point in time (spec)
 * and what became of it (kept, pruned, passed over by the restore,
 * restored), and the recovery's phases timed from the disaster. Empty for a
 * run without backups or a disaster.
 */
export function recoverySection(events: readonly Stamped<TimelineEvent>[]): string {
  const taken = events.filter((e): e is Of<"backup.taken"> => e.type === "backup.taken");
  const phases = events.filter((e): e is Of<"recovery.phase"> => e.type === "recovery.phase");
  if (taken.length === 0 && phases.length === 0) return "";
  const pruned = new Map(events.filter((e): e is Of<"backup.pruned"> => e.type === "backup.pruned").map((e) => [e.id, e]));
  const skipped = new Map(events.filter((e): e is Of<"backup.skipped"> => e.type === "backup.skipped").map((e) => [e.id, e]));
  const restored = new Set(events.filter((e): e is Of<"backup.restored"> => e.type === "backup.restored").map((e) => e.id));
  const failed = events.filter((e): e is Of<"backup.failed"> => e.type === "backup.failed");
  const fate = (id: string) =>
    restored.has(id)
      ? "<b>restored</b>"
      : skipped.has(id)
        ? `passed over by the restore: ${esc(skipped.get(id)!.reason.replace(/\/\S*\//g, ""))}`
        : pruned.has(id)
          ? `pruned at ${spec(pruned.get(id)!.specT)} (${spec(pruned.get(id)!.ageSpecSeconds)} old)`
          : "kept";
  const rows = taken
    .map((b) => `<tr><td>${esc(b.id)}</td><td>${esc(b.kind)}${b.subject ? ` ${esc(b.subject)} v${b.version}` : ""}</td><td>${spec(b.takenAtSpecSeconds)}</td><td>${bytes(b.bytes)}</td><td>${b.seconds.toFixed(2)} s</td><td>${fate(b.id)}</td></tr>`)
    .join("");
  const extra = [...skipped.values()].filter((s) => !taken.some((b) => b.id === s.id));
  const extraRows = extra.map((s) => `<tr><td>${esc(s.id)}</td><td>${esc(s.kind)} (not taken by this run's schedule)</td><td></td><td></td><td></td><td>passed over by the restore: ${esc(s.reason.replace(/\/\S*\//g, ""))}</td></tr>`).join("");
  const phaseRows = phases.map((p) => `<tr><td>${esc(p.phase)}</td><td>${p.sinceDisasterSeconds.toFixed(2)} s</td><td>${spec(p.specT)}</td><td>${esc(p.detail)}</td></tr>`).join("");
  return `<h2>Disaster recovery</h2>
${taken.length + extra.length > 0 ? `<h3>Backups (${taken.length} taken${failed.length > 0 ? `, ${failed.length} failed` : ""})</h3><table><tr><td><b>id</b></td><td><b>holds</b></td><td><b>point in time (spec)</b></td><td><b>encrypted size</b></td><td><b>took (wall)</b></td><td><b>what became of it</b></td></tr>${rows}${extraRows}</table>` : ""}
${phaseRows ? `<h3>Recovery</h3><table><tr><td><b>phase</b></td><td><b>after the disaster (wall)</b></td><td><b>at (spec)</b></td><td><b>what happened</b></td></tr>${phaseRows}</table>` : ""}`;
}
