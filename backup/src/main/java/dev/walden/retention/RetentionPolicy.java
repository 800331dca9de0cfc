package dev.walden.retention;

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
}
