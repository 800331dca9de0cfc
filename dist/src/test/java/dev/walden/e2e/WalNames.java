package dev.walden.e2e;

import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;

final class WalNames {
    private WalNames() {
    }

    /** The segment after {@code name} on the same timeline (16 MiB segments). */
    static String next(String name) {
        WalFileName w = WalFileName.parse(name);
        return WalFileName.segment(w.timeline(), w.segmentNumber(WalSegmentSize.DEFAULT) + 1, WalSegmentSize.DEFAULT)
                .toString();
    }
}
