package dev.walden.wal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) magic);
        b.putShort(2, (short) WalPageHeader.XLP_LONG_HEADER);
        b.putInt(4, name.timeline());
        b.putLong(8, size.startOf(name.segmentNumber(size)).value());
        b.putInt(16, 0);
        b.putInt(20, 0);
        b.putLong(24, systemIdentifier);
        b.putInt(32, size.bytes());
        b.putInt(36, 8192);
        return bytes;
    }
}
