package dev.walden.wal;

import java.util.Random;

/** WAL files for tests that need exact control over the header: built the way PostgreSQL lays them out. */
public final class SyntheticWal {
    private SyntheticWal() {
    }

    /** A whole segment with a valid long header for {@code name} and random bytes after it. */
    public static byte[] segment(ClusterIdentity cluster, WalFileName name, long seed) {
        return segment(cluster.walMagic(), cluster.systemIdentifier(), cluster.segmentSize(), name, seed);
    }

    public static byte[] segment(int magic, long systemIdentifier, WalSegmentSize size, WalFileName name, long seed) {
        byte[] bytes = new byte[size.bytes()];
        new Random(seed).nextBytes(bytes);
        new WalPageHeader(magic, WalPageHeader.XLP_LONG_HEADER, name.timeline(),
                size.startOf(name.segmentNumber(size)), systemIdentifier, size.bytes(), 8192).writeTo(bytes);
        return bytes;
    }
}
