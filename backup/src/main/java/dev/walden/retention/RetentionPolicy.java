package dev.walden.retention;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;

/**
 * How long backups and dumps are kept. A limit of 0 is off.
 *
 * <ul>
 *   <li>{@code backupDays}: a recovery window. Every complete base backup started within it is
 *       kept, and so is the newest one started before it, so that any moment of the window can
 *       be recovered.</li>
 *   <li>{@code backupCount}: at most this many complete base backups, the newest.</li>
 *   <li>{@code dumpDays}, {@code dumpCount}: likewise per database for verified dumps, by age
 *       alone (the 7 days of the daily {@code pg_dump} cron script walden replaces).</li>
 * </ul>
 * The newest complete backup and the newest verified dump of each database are never expired.
 */
public record RetentionPolicy(int backupDays, int backupCount, int dumpDays, int dumpCount) {
    public RetentionPolicy {
        if (backupDays < 0 || backupCount < 0 || dumpDays < 0 || dumpCount < 0) {
            throw new IllegalArgumentException("retention limits can't be negative");
        }
    }

    /** What retention.* says. */
    public static RetentionPolicy from(ConfigSource config) throws ConfigException {
        return new RetentionPolicy(config.integer(ConfigKeys.RETENTION_BACKUP_DAYS, 0, 36500),
                config.integer(ConfigKeys.RETENTION_BACKUP_COUNT, 0, 100000),
                config.integer(ConfigKeys.RETENTION_DUMP_DAYS, 0, 36500),
                config.integer(ConfigKeys.RETENTION_DUMP_COUNT, 0, 100000));
    }
}
