package dev.walden.catalog;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * The name of a base backup: its start time in UTC, {@code 20261124T020000Z}. Sortable as text,
 * unique per second (two backups of one cluster never run at once), and valid as a storage key
 * segment. Formatted and parsed here only.
 */
public record BackupLabel(String value) implements Comparable<BackupLabel> {
    private static final Pattern FORMAT = Pattern.compile("\\d{8}T\\d{6}Z");
    private static final DateTimeFormatter FORMATTER =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    public BackupLabel {
        if (!FORMAT.matcher(value).matches()) {
            throw new IllegalArgumentException("'" + value + "' is not a backup label (e.g. 20261124T020000Z)");
        }
    }

    public static BackupLabel at(Instant start) {
        return new BackupLabel(FORMATTER.format(start));
    }

    public Instant instant() {
        try {
            return Instant.from(FORMATTER.parse(value));
        } catch (DateTimeParseException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int compareTo(BackupLabel other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
