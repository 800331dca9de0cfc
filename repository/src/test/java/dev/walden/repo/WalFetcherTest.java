package dev.walden.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.storage.MemoryStorage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.SyntheticWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalFetcherTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(5L, 15, new WalSegmentSize(1024 * 1024));
    private static final WalFileName NAME = WalFileName.parse("000000010000000000000007");

    @TempDir
    Path dir;

    @Test
    void writesTheFileCompleteUnderTheNamePostgresAskedFor() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        Repository repository = Repository.create(storage, CLUSTER, Clock.systemUTC());
        byte[] segment = SyntheticWal.segment(CLUSTER, NAME, 7);
        repository.wal().store(NAME, Checksums.sha256(new ByteArrayInputStream(segment)), Compression.ZSTD, 3,
                new ByteArrayInputStream(segment));
        Path target = dir.resolve("RECOVERYXLOG");
        assertTrue(new WalFetcher(repository).fetch(NAME, target));
        assertArrayEquals(segment, Files.readAllBytes(target));
        assertFalse(new WalFetcher(repository).fetch(WalFileName.parse("000000010000000000000008"), target),
                "not found is an answer, not an error");
    }

    @Test
    void aCorruptObjectLeavesNothingBehind() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        Repository repository = Repository.create(storage, CLUSTER, Clock.systemUTC());
        byte[] segment = SyntheticWal.segment(CLUSTER, NAME, 7);
        StoredWal stored = repository.wal().store(NAME, Checksums.sha256(new ByteArrayInputStream(segment)),
                Compression.NONE, 0, new ByteArrayInputStream(segment));
        byte[] damaged = segment.clone();
        damaged[12345] ^= 1;
        storage.tamper(stored.key(), damaged);
        Path target = dir.resolve("RECOVERYXLOG");
        assertThrows(CorruptObjectException.class, () -> new WalFetcher(repository).fetch(NAME, target));
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.findAny().isEmpty(), "neither the file nor a temporary file");
        }
    }
}
