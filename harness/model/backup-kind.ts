/** What a backup holds, in the deployment document's words (backup.database, backup.application_data, backup.configuration). */
export const BACKUP_KINDS = ["database", "application-data", "configuration"] as const;

export type BackupKind = (typeof BACKUP_KINDS)[number];
