package dev.walden.recovery;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.BackupManifest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskSpaceTest {
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    private static BackupManifest backupOf(long bytes) {
        return new BackupManifest(1, "20261124T020000Z", "complete", null, "1", "15.8", 15, 16 << 20, null, null,
                null, null, 1, 1, null, null, "zstd", bytes, bytes / 3, false, List.of(), List.of(), List.of(),
                List.of(new BackupManifest.BackupFile("base/5/16384", "backups/x/1.zst", bytes, bytes / 3, "0",
                        "rw-------")));
    }

    @Test
    void aRecoveryThatWouldLeaveLessThanTheReserveIsRefused() throws Exception {
        Path pgdata = dir.resolve("walden-recovered-1");
        Path staged = dir.resolve("walden-recovered-1.wal");
        // 3 GiB of files and 1 GiB of WAL on a filesystem with 4.5 GiB free: it would leave 0.5 GiB
        RefusedException e = assertThrows(RefusedException.class, () -> DiskSpace.check(pgdata, Map.of(),
                backupOf(3 * GIB), GIB, staged, p -> 4 * GIB + GIB / 2));
        assertTrue(e.getMessage().startsWith("'" + dir + "' has 4.5 GiB free; this recovery writes 4.0 GiB there and "
                + "leaves at least 1.0 GiB free"), e.getMessage());
        DiskSpace.check(pgdata, Map.of(), backupOf(3 * GIB), GIB, staged, p -> 5 * GIB); // exactly room
    }
}
