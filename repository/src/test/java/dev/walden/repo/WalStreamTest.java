package dev.walden.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.storage.MemoryStorage;
import dev.walden.storage.ObjectWriter;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.Lsn;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WalStreamTest {
    private static final WalSegmentSize SIZE = new WalSegmentSize(1024 * 1024);
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(99L, 15, SIZE);
    private static final WalFileName SEGMENT = WalFileName.parse("000000010000000000000003");

    private MemoryStorage storage;
    private Repository repository;
    private final byte[] data = new byte[SIZE.bytes()];

    @BeforeEach
    void create() throws IOException {
        storage = new MemoryStorage();
        repository = Repository.create(storage, CLUSTER, Clock.systemUTC());
        new Random(7).nextBytes(data);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    @Test
    void storesAPrefixUnderItsOwnNamespaceAndReadsItBackVerified() throws IOException {
        StreamedWal stored = repository.stream().store(SEGMENT, data, 5000, Compression.ZSTD, 3);
        assertTrue(stored.key().matches("stream/0000000100000000/000000010000000000000003-00001388-[0-9a-f]{64}"
                + "\\.partial\\.zst"), stored.key());
        assertEquals(new Lsn(3L * SIZE.bytes() + 5000), stored.end(SIZE));
        assertArrayEquals(Arrays.copyOf(data, 5000), readAll(repository.stream().open(stored)));
        // fetch, verify's WAL checks and expiry's WAL rules read wal/: a streamed prefix is never archived WAL
        assertTrue(repository.wal().find(SEGMENT).isEmpty());
        assertTrue(storage.list(StoredWal.ROOT).isEmpty());
    }

    @Test
    void aLongerPrefixReplacesTheShorterOne() throws IOException {
        repository.stream().store(SEGMENT, data, 5000, Compression.ZSTD, 3);
        StreamedWal longer = repository.stream().store(SEGMENT, data, 9000, Compression.ZSTD, 3);
        assertEquals(List.of(longer.key()), storage.list(StreamedWal.ROOT).stream().map(o -> o.key()).toList());
        assertEquals(9000, repository.stream().find(SEGMENT).orElseThrow().length());
    }

    @Test
    void ofTwoObjectsACrashLeftTheLongestIsCurrent() throws IOException {
        StreamedWal longer = repository.stream().store(SEGMENT, data, 9000, Compression.NONE, 0);
        byte[] copy = storage.snapshot().get(longer.key());
        StreamedWal shorter = repository.stream().store(SEGMENT, data, 4000, Compression.NONE, 0);
        try (ObjectWriter writer = storage.write(longer.key())) { // as if the delete after the store never happened
            writer.stream().write(copy);
            writer.commit();
        }
        assertEquals(2, repository.stream().objects().size());
        assertEquals(List.of(longer.key()), repository.stream().list().stream().map(StreamedWal::key).toList());
        assertEquals(longer.key(), repository.stream().find(SEGMENT).orElseThrow().key());
        assertEquals(2, repository.stream().delete(SEGMENT));
        assertTrue(repository.stream().list().isEmpty(), shorter.key());
    }

    @Test
    void aDamagedObjectIsCorruptWhenRead() throws IOException {
        StreamedWal stored = repository.stream().store(SEGMENT, data, 5000, Compression.NONE, 0);
        byte[] bytes = storage.snapshot().get(stored.key());
        bytes[100] ^= 1;
        storage.tamper(stored.key(), bytes);
        CorruptObjectException e = assertThrows(CorruptObjectException.class,
                () -> readAll(repository.stream().open(stored)));
        assertTrue(e.getMessage().contains("streamed object '" + stored.key() + "'"), e.getMessage());
    }

    @Test
    void keysThatAreNotStreamedObjectsAreNotParsed() {
        String hash = "a".repeat(64);
        Instant now = Instant.now();
        assertTrue(StreamedWal.parse("stream/0000000100000000/000000010000000000000003-00001388-" + hash
                + ".partial.zst", 1, now).isPresent());
        for (String key : List.of(
                "wal/0000000100000000/000000010000000000000003-00001388-" + hash + ".partial.zst",
                "wal/0000000100000000/000000010000000000000003.partial-" + hash + ".zst", // PostgreSQL's own .partial
                "stream/0000000100000000/000000010000000000000003-00000000-" + hash + ".partial.zst", // no bytes
                "stream/0000000100000000/000000010000000000000003-00001388-" + hash + ".zst", // no .partial
                "stream/0000000200000000/000000010000000000000003-00001388-" + hash + ".partial.zst", // wrong directory
                "stream/0000000100000000/000000010000000000000003-00001388-" + hash + ".partial.rar")) {
            assertTrue(StreamedWal.parse(key, 1, now).isEmpty(), key);
        }
    }

    @Test
    void theTailContinuingArchivedWalStopsAtAHoleAndAfterAPartialSegment() throws IOException {
        WalFileName s4 = WalFileName.parse("000000010000000000000004");
        WalFileName s5 = WalFileName.parse("000000010000000000000005");
        WalFileName s7 = WalFileName.parse("000000010000000000000007");
        WalFileName other = WalFileName.parse("000000020000000000000004");
        repository.stream().store(s4, data, SIZE.bytes(), Compression.ZSTD, 1);
        repository.stream().store(s5, data, 300, Compression.ZSTD, 1);
        repository.stream().store(s7, data, 300, Compression.ZSTD, 1);
        repository.stream().store(other, data, 300, Compression.ZSTD, 1);
        assertEquals(List.of(s4, s5), repository.stream().continuing(1, 4, SIZE).stream()
                .map(StreamedWal::segment).toList());
        assertEquals(List.of(), repository.stream().continuing(1, 6, SIZE));
        assertEquals(List.of(other), repository.stream().continuing(2, 4, SIZE).stream()
                .map(StreamedWal::segment).toList());
    }
}
