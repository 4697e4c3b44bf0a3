import type { BackupSpec, Frequency } from "../document/deployment-types.js";
import type { BackupKind } from "../model/backup-kind.js";
import type { Retention } from "./backup-index.js";

const DAY_MS = 86_400_000;

/** Each kind's retention from the document's `backup:` section, in spec milliseconds ("30d" is 30 × 24 h). */
export function retentionOf(spec: BackupSpec): Retention {
  return {
    database: spec.database.retentionDays * DAY_MS,
    "application-data": spec.applicationData.retentionDays * DAY_MS,
    configuration: spec.configuration.retentionDays * DAY_MS,
  };
}

/** The spec milliseconds between two scheduled backups, or undefined for "on-change" (taken when something changes, not on a clock). */
export function intervalOf(frequency: Frequency): number | undefined {
  return frequency.every === "interval" ? frequency.ms : undefined;
}

/** The document's frequency of a kind of backup. */
export function frequencyOf(spec: BackupSpec, kind: BackupKind): Frequency {
  return kind === "database" ? spec.database.frequency : kind === "application-data" ? spec.applicationData.frequency : spec.configuration.frequency;
}
