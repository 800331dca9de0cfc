package dev.walden.wal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A WAL location (XLogRecPtr), written {@code X/Y} in hex as PostgreSQL does. Unsigned 64 bits. */
public record Lsn(long value) implements Comparable<Lsn> {
    private static final Pattern FORMAT = Pattern.compile("([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})");

    public static final Lsn ZERO = new Lsn(0);

    public static Lsn parse(String text) {
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not an LSN (expected e.g. 0/3000028)");
        }
        return new Lsn((Long.parseLong(m.group(1), 16) << 32) | Long.parseLong(m.group(2), 16));
    }

    /** The segment number holding this location: {@code lsn / segmentSize} (XLByteToSeg). */
    public long segmentNumber(WalSegmentSize size) {
        return Long.divideUnsigned(value, size.bytes());
    }

    /** Offset of this location inside its segment. */
    public long segmentOffset(WalSegmentSize size) {
        return Long.remainderUnsigned(value, size.bytes());
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return String.format("%X/%X", value >>> 32, value & 0xFFFFFFFFL);
    }
}
