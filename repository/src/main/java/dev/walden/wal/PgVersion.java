package dev.walden.wal;

import java.util.Map;
import java.util.Optional;

/**
 * What differs between PostgreSQL major versions at the WAL level: the page magic
 * (XLOG_PAGE_MAGIC in src/include/access/xlog_internal.h, bumped in every major release).
 */
public final class PgVersion {
    private static final Map<Integer, Integer> MAGIC_BY_MAJOR = Map.of(
            13, 0xD106,
            14, 0xD10D,
            15, 0xD110,
            16, 0xD113,
            17, 0xD116,
            18, 0xD118);

    private PgVersion() {
    }

    /** The WAL page magic of a major version, or empty if walden doesn't know the version. */
    public static Optional<Integer> walMagic(int major) {
        return Optional.ofNullable(MAGIC_BY_MAJOR.get(major));
    }

    /** The major version whose WAL carries this magic, if any. */
    public static Optional<Integer> majorForMagic(int magic) {
        return MAGIC_BY_MAJOR.entrySet().stream().filter(e -> e.getValue() == magic).map(Map.Entry::getKey)
                .findFirst();
    }

    public static boolean isSupported(int major) {
        return MAGIC_BY_MAJOR.containsKey(major);
    }
}
