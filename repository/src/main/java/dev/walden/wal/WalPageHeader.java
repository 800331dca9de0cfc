package dev.walden.wal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The long page header at the start of every WAL segment (XLogLongPageHeaderData), parsed in this
 * one place. PostgreSQL writes it in the host's byte order; walden runs next to the server, so
 * native order is right.
 *
 * <pre>
 * offset size field
 *      0    2 xlp_magic        WAL format version (see {@link PgVersion})
 *      2    2 xlp_info         flags; XLP_LONG_HEADER (0x0002) on the first page of a segment
 *      4    4 xlp_tli          timeline of the first record on the page
 *      8    8 xlp_pageaddr     WAL location of this page
 *     16    4 xlp_rem_len      continuation bytes from the previous page
 *     20    4 (padding)
 *     24    8 xlp_sysid        system identifier from pg_control
 *     32    4 xlp_seg_size     wal_segment_size, as a cross-check
 *     36    4 xlp_xlog_blcksz  WAL block size, as a cross-check
 * </pre>
 */
public record WalPageHeader(int magic, int info, int timeline, Lsn pageAddress, long systemIdentifier,
                            long segmentSize, long blockSize) {
    public static final int LONG_HEADER_LENGTH = 40;
    public static final int XLP_LONG_HEADER = 0x0002;
    /**
     * Every flag PostgreSQL 13-18 defines: FIRST_IS_CONTRECORD 0x1, LONG_HEADER 0x2,
     * BKP_REMOVABLE 0x4 and FIRST_IS_OVERWRITE_CONTRECORD 0x8 (set on the first page after a
     * crash lost a record that crossed into it; back-patched to every supported version).
     */
    public static final int XLP_ALL_FLAGS = 0x000F;

    /** Reads the long header from the first {@value #LONG_HEADER_LENGTH} bytes of {@code page}. */
    public static WalPageHeader parse(byte[] page) {
        if (page.length < LONG_HEADER_LENGTH) {
            throw new IllegalArgumentException("a long WAL page header needs " + LONG_HEADER_LENGTH + " bytes, got "
                    + page.length);
        }
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.nativeOrder());
        return new WalPageHeader(
                Short.toUnsignedInt(b.getShort(0)),
                Short.toUnsignedInt(b.getShort(2)),
                b.getInt(4),
                new Lsn(b.getLong(8)),
                b.getLong(24),
                Integer.toUnsignedLong(b.getInt(32)),
                Integer.toUnsignedLong(b.getInt(36)));
    }

    /**
     * Writes this header into the first {@value #LONG_HEADER_LENGTH} bytes of {@code page}, laid out
     * as {@link #parse} reads it (for WAL made by walden itself: tests, start-up training).
     */
    public void writeTo(byte[] page) {
        if (page.length < LONG_HEADER_LENGTH) {
            throw new IllegalArgumentException("a long WAL page header needs " + LONG_HEADER_LENGTH + " bytes, got "
                    + page.length);
        }
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) magic);
        b.putShort(2, (short) info);
        b.putInt(4, timeline);
        b.putLong(8, pageAddress.value());
        b.putInt(16, 0);
        b.putInt(20, 0);
        b.putLong(24, systemIdentifier);
        b.putInt(32, (int) segmentSize);
        b.putInt(36, (int) blockSize);
    }

    /** The long header PostgreSQL writes at the start of segment {@code name} of {@code cluster}. */
    public static WalPageHeader first(ClusterIdentity cluster, WalFileName name) {
        WalSegmentSize size = cluster.segmentSize();
        return new WalPageHeader(cluster.walMagic(), XLP_LONG_HEADER, name.timeline(),
                size.startOf(name.segmentNumber(size)), cluster.systemIdentifier(), size.bytes(), 8192);
    }

    /** Whether the whole header is zero, as in a pre-allocated segment that was never written. */
    public boolean isZero() {
        return magic == 0 && info == 0 && timeline == 0 && pageAddress.value() == 0 && systemIdentifier == 0;
    }
}
