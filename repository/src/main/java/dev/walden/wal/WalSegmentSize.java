package dev.walden.wal;

/** The cluster's wal_segment_size: a power of two from 1 MiB to 1 GiB (initdb --wal-segsize). */
public record WalSegmentSize(int bytes) {
    public static final WalSegmentSize DEFAULT = new WalSegmentSize(16 * 1024 * 1024);
    private static final int MIN = 1024 * 1024;
    private static final int MAX = 1024 * 1024 * 1024;

    public WalSegmentSize {
        if (bytes < MIN || bytes > MAX || Integer.bitCount(bytes) != 1) {
            throw new IllegalArgumentException(bytes + " is not a valid WAL segment size "
                    + "(a power of two from 1 MiB to 1 GiB)");
        }
    }

    /** Segments per 4 GiB "log file": the range of the last 8 hex digits of a segment name. */
    public long segmentsPerXLogId() {
        return 0x1_0000_0000L / bytes;
    }

    /** First byte position of a segment: {@code segno * size}. */
    public Lsn startOf(long segmentNumber) {
        return new Lsn(segmentNumber * bytes);
    }

    @Override
    public String toString() {
        return bytes / (1024 * 1024) + " MiB";
    }
}
