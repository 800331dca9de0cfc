package dev.walden.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.storage.MemoryStorage;
import dev.walden.storage.ObjectWriter;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.SyntheticWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class WalArchiveTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(99L, 15, new WalSegmentSize(1024 * 1024));
    private static final WalFileName NAME = WalFileName.parse("000000010000000000000003");

    private MemoryStorage storage;
    private WalArchive wal;

    @BeforeEach
    void create() throws IOException {
        storage = new MemoryStorage();
        wal = Repository.create(storage, CLUSTER, Clock.systemUTC()).wal();
    }

    private static String sha(byte[] bytes) throws IOException {
        return Checksums.sha256(new ByteArrayInputStream(bytes));
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void storesFindsAndReadsBack(Compression compression) throws IOException {
        byte[] segment = SyntheticWal.segment(CLUSTER, NAME, 3);
        StoredWal stored = wal.store(NAME, sha(segment), compression, compression.defaultLevel(),
                new ByteArrayInputStream(segment));
        assertEquals(StoredWal.keyFor(NAME, sha(segment), compression), stored.key());
        assertTrue(stored.key().startsWith("wal/0000000100000000/000000010000000000000003-"), stored.key());
        assertEquals(stored, wal.find(NAME).orElseThrow());
        assertArrayEquals(segment, readAll(wal.open(stored)));
    }

    @Test
    void findsNothingForAnUnarchivedFileAndDoesNotConfuseNeighbours() throws IOException {
        byte[] segment = SyntheticWal.segment(CLUSTER, NAME, 3);
        wal.store(NAME, sha(segment), Compression.NONE, 0, new ByteArrayInputStream(segment));
        assertTrue(wal.find(WalFileName.parse("000000010000000000000004")).isEmpty());
        assertTrue(wal.find(WalFileName.parse("000000010000000000000003.partial")).isEmpty());
        assertTrue(wal.find(WalFileName.parse("000000020000000000000003")).isEmpty());
    }

    @Test
    void historyFilesLiveAtTheTopOfWal() throws IOException {
        WalFileName history = WalFileName.parse("00000002.history");
        byte[] content = "1\t0/3000000\tno recovery target specified\n".getBytes();
        StoredWal stored = wal.store(history, sha(content), Compression.ZSTD, 3, new ByteArrayInputStream(content));
        assertTrue(stored.key().startsWith("wal/00000002.history-"), stored.key());
        assertArrayEquals(content, readAll(wal.open(wal.find(history).orElseThrow())));
    }

    @Test
    void aFlippedByteIsCorruption() throws IOException {
        byte[] segment = SyntheticWal.segment(CLUSTER, NAME, 3);
        StoredWal stored = wal.store(NAME, sha(segment), Compression.NONE, 0, new ByteArrayInputStream(segment));
        byte[] damaged = segment.clone();
        damaged[500_000] ^= 1;
        storage.tamper(stored.key(), damaged);
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> readAll(wal.open(stored)));
        assertTrue(e.getMessage().startsWith("object '" + stored.key() + "' in memory is corrupt: its content hashes to"),
                e.getMessage());
    }

    @Test
    void undecodableContentIsCorruption() throws IOException {
        byte[] segment = SyntheticWal.segment(CLUSTER, NAME, 3);
        StoredWal stored = wal.store(NAME, sha(segment), Compression.ZSTD, 3, new ByteArrayInputStream(segment));
        byte[] packed = storage.snapshot().get(stored.key());
        storage.tamper(stored.key(), java.util.Arrays.copyOf(packed, packed.length / 2));
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> readAll(wal.open(stored)));
        assertTrue(e.getMessage().contains("is corrupt"), e.getMessage());
    }

    @Test
    void contentThatChangedWhileStoringIsNotCommitted() throws IOException {
        byte[] segment = SyntheticWal.segment(CLUSTER, NAME, 3);
        String before = sha(segment);
        byte[] changed = segment.clone();
        changed[100] ^= 1;
        IOException e = assertThrows(IOException.class,
                () -> wal.store(NAME, before, Compression.ZSTD, 3, new ByteArrayInputStream(changed)));
        assertTrue(e.getMessage().startsWith("'000000010000000000000003' changed while it was being archived"),
                e.getMessage());
        assertTrue(wal.find(NAME).isEmpty());
    }

    private static long crc32c(byte[] bytes) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }

    @Test
    void theCrcCheckedStoreKeepsTheFirstReadsShaAndRefusesChangedBytes() throws IOException {
        byte[] segment = SyntheticWal.segment(CLUSTER, NAME, 3);
        byte[] changed = segment.clone();
        changed[SyntheticWal.segment(CLUSTER, NAME, 3).length - 1] ^= 1;
        IOException e = assertThrows(IOException.class, () -> wal.store(NAME, sha(segment), crc32c(segment),
                Compression.ZSTD, 3, new ByteArrayInputStream(changed)));
        assertTrue(e.getMessage().startsWith("'000000010000000000000003' changed while it was being archived (CRC-32C "),
                e.getMessage());
        assertTrue(wal.find(NAME).isEmpty(), "nothing stored");

        StoredWal stored = wal.store(NAME, sha(segment), crc32c(segment), Compression.ZSTD, 3,
                new ByteArrayInputStream(segment));
        assertEquals(sha(segment), stored.contentName());
        assertArrayEquals(segment, readAll(wal.open(stored)), "reads back, and its SHA-256 verifies");
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void oneReadStoresUnderTheShaTakenOnTheWay(Compression compression) throws IOException {
        byte[] segment = SyntheticWal.segment(CLUSTER, NAME, 3);
        int[] inspected = {0};
        StoredWal stored = wal.storeInOneRead(NAME, compression, compression.defaultLevel(),
                new ByteArrayInputStream(segment), segment.length + 1024, (buffer, length) -> inspected[0] += length,
                null).orElseThrow();
        assertEquals(StoredWal.keyFor(NAME, sha(segment), compression), stored.key());
        assertEquals(segment.length, inspected[0], "the inspector saw every byte");
        assertEquals(stored, wal.find(NAME).orElseThrow());
        assertEquals(storage.stat(stored.key()).orElseThrow().size(), stored.storedSize());
        assertArrayEquals(segment, readAll(wal.open(stored)), "reads back, and its SHA-256 verifies");
    }

    @Test
    void oneReadStoresNothingWhenTheCompressedBytesOutgrowTheLimit() throws IOException {
        byte[] random = new byte[256 * 1024];
        new java.util.Random(7).nextBytes(random);
        assertTrue(wal.storeInOneRead(NAME, Compression.NONE, 0, new ByteArrayInputStream(random), random.length - 1,
                null, null).isEmpty(), "one byte over the limit");
        assertTrue(storage.list("").stream().noneMatch(o -> o.key().startsWith("wal/")), "nothing stored");
        StoredWal stored = wal.storeInOneRead(NAME, Compression.NONE, 0, new ByteArrayInputStream(random),
                random.length, null, null).orElseThrow();
        assertArrayEquals(random, readAll(wal.open(stored)), "exactly at the limit it is stored");
    }

    @Test
    void oneReadStoresNothingWhenTheInspectorOrTheCommitCheckRefuses() throws IOException {
        byte[] segment = SyntheticWal.segment(CLUSTER, NAME, 3);
        IOException inspected = assertThrows(IOException.class, () -> wal.storeInOneRead(NAME, Compression.ZSTD, 3,
                new ByteArrayInputStream(segment), 2 * segment.length, (buffer, length) -> {
                    throw new IOException("not a segment of this cluster");
                }, null));
        assertEquals("not a segment of this cluster", inspected.getMessage());
        IOException checked = assertThrows(IOException.class, () -> wal.storeInOneRead(NAME, Compression.LZ4, 0,
                new ByteArrayInputStream(segment), 2 * segment.length, null, () -> {
                    throw new IOException("not the text it claims");
                }));
        assertEquals("not the text it claims", checked.getMessage());
        assertTrue(wal.find(NAME).isEmpty(), "nothing stored");
    }

    @Test
    void twoObjectsForOneFileAreCorruption() throws IOException {
        byte[] a = SyntheticWal.segment(CLUSTER, NAME, 3);
        byte[] b = SyntheticWal.segment(CLUSTER, NAME, 4);
        wal.store(NAME, sha(a), Compression.ZSTD, 3, new ByteArrayInputStream(a));
        try (ObjectWriter w = storage.write(StoredWal.keyFor(NAME, sha(b), Compression.ZSTD))) {
            w.stream().write(1);
            w.commit();
        }
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> wal.find(NAME));
        assertTrue(e.getMessage().startsWith("the repository holds 2 objects for '000000010000000000000003'"),
                e.getMessage());
    }

    @Test
    void objectNamesParseBackOnlyWhenWellFormed() {
        String sha = "a".repeat(64);
        String key = StoredWal.keyFor(NAME, sha, Compression.LZ4);
        assertEquals(new StoredWal(NAME, key, sha, Compression.LZ4, 10), StoredWal.parse(key, 10).orElseThrow());
        for (String bad : new String[] {"repository.json", "wal/0000000100000000/000000010000000000000003-abc.zst",
                "wal/0000000100000000/000000010000000000000003-" + sha + ".rar",
                "wal/0000000200000000/000000010000000000000003-" + sha + ".zst",
                "wal/000000010000000000000003-" + sha}) {
            assertTrue(StoredWal.parse(bad, 1).isEmpty(), bad);
        }
    }
}
