/** What a backup holds, in the deployment document's words (backup.database, backup.application_data, backup.configuration). */
export const BACKUP_KINDS = ["database", "application-data", "configuration"] as const;

export type BackupKind = (typeof BACKUP_KINDS)[number];

/** How the backup-damage fault spoils the newest backup: cut short, bytes flipped, or encrypted for another key. */
export const BACKUP_DAMAGE = ["truncate", "corrupt", "foreign-key"] as const;
export type BackupDamage = (typeof BACKUP_DAMAGE)[number];
