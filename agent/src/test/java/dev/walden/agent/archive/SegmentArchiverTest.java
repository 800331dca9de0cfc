package dev.walden.agent.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.FakePgdata;
import dev.walden.protocol.ErrorCode;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.storage.FaultInjectingStorage;
import dev.walden.storage.MemoryStorage;
import dev.walden.wal.WalFileName;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentArchiverTest {
    @TempDir
    Path dir;
    FakePgdata pg;
    MemoryStorage memory;
    FaultInjectingStorage storage;
    Repository repository;
    SegmentArchiver archiver;

    @BeforeEach
    void setUp() throws IOException {
        pg = new FakePgdata(dir);
        memory = new MemoryStorage();
        storage = new FaultInjectingStorage(memory);
        repository = Repository.create(storage, FakePgdata.CLUSTER, Clock.systemUTC());
        archiver = new SegmentArchiver(new WalDirectory(pg.pgdata, pg.pgWal), repository, Compression.ZSTD, 3,
                Clock.systemUTC());
    }

    private byte[] archived(String name) throws IOException {
        StoredWal stored = repository.wal().find(WalFileName.parse(name)).orElseThrow();
        try (InputStream in = repository.wal().open(stored)) {
            return in.readAllBytes();
        }
    }

    private ArchiveResult.Failed failed(ArchiveResult result) {
        return assertInstanceOf(ArchiveResult.Failed.class, result);
    }

    @Test
    void archivesASegmentThatReadsBackByteForByte() throws IOException {
        Path segment = pg.segment("000000010000000000000002", 2);
        ArchiveResult.Stored stored = assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(segment.toString()));
        assertFalse(stored.alreadyArchived());
        assertEquals(Files.size(segment), stored.originalBytes());
        assertArrayEquals(Files.readAllBytes(segment), archived("000000010000000000000002"));
        assertTrue(stored.describe().startsWith("archived '000000010000000000000002' (1.0 MiB, "),
                stored.describe());
    }

    @Test
    void archivingTheSameContentAgainSucceedsWithoutWriting() throws IOException {
        Path segment = pg.segment("000000010000000000000002", 2);
        assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(segment.toString()));
        int commits = storage.commits();
        ArchiveResult.Stored again = assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(segment.toString()));
        assertTrue(again.alreadyArchived());
        assertEquals(commits, storage.commits(), "nothing written the second time");
        assertEquals("'000000010000000000000002' was already archived with identical content", again.describe());
    }

    @Test
    void differentContentUnderAnArchivedNameIsRefusedAndNothingIsOverwritten() throws IOException {
        Path segment = pg.segment("000000010000000000000002", 2);
        byte[] original = Files.readAllBytes(segment);
        archiver.archive(segment.toString());
        Map<String, byte[]> before = memory.snapshot();
        pg.segment("000000010000000000000002", 99); // same name, other content
        ArchiveResult.Failed f = failed(archiver.archive(segment.toString()));
        assertEquals(ErrorCode.DUPLICATE_DIFFERS, f.code());
        assertTrue(f.message().startsWith("'000000010000000000000002' is already archived with different content"),
                f.message());
        assertTrue(f.message().endsWith("nothing was overwritten"), f.message());
        assertEquals(before.keySet(), memory.snapshot().keySet());
        assertArrayEquals(original, archived("000000010000000000000002"));
    }

    @Test
    void aFileTooLargeToHoldCompressedIsHashedFirstThenStoredInASecondRead() throws IOException {
        SegmentArchiver holdingLittle = new SegmentArchiver(new WalDirectory(pg.pgdata, pg.pgWal), repository,
                Compression.ZSTD, 3, Clock.systemUTC(), new ArchivedIndex(), 1);
        Path segment = pg.segment("000000010000000000000002", 2);
        int commits = storage.commits();
        ArchiveResult.Stored stored = assertInstanceOf(ArchiveResult.Stored.class,
                holdingLittle.archive(segment.toString()));
        assertFalse(stored.alreadyArchived());
        assertEquals(commits + 1, storage.commits(), "one object written");
        assertArrayEquals(Files.readAllBytes(segment), archived("000000010000000000000002"));

        Path foreign = pg.foreignSegment("000000010000000000000003", 12345L);
        assertEquals(ErrorCode.FOREIGN_SYSTEM, failed(holdingLittle.archive(foreign.toString())).code());
        Path bogus = Files.writeString(pg.pgWal.resolve("00000003.history"), "this is not a history file");
        assertEquals(ErrorCode.BAD_HEADER, failed(holdingLittle.archive(bogus.toString())).code());
        assertEquals(commits + 1, storage.commits(), "nothing more written");
    }

    @Test
    void walOfAnotherSystemIsRefused() throws IOException {
        Path foreign = pg.foreignSegment("000000010000000000000003", 12345L);
        ArchiveResult.Failed f = failed(archiver.archive(foreign.toString()));
        assertEquals(ErrorCode.FOREIGN_SYSTEM, f.code());
        assertTrue(f.message().contains("belongs to database system 12345"), f.message());
        assertTrue(repository.wal().find(WalFileName.parse("000000010000000000000003")).isEmpty());
    }

    @Test
    void aTruncatedSegmentIsRefused() throws IOException {
        Path segment = pg.segment("000000010000000000000003", 3);
        try (var ch = java.nio.channels.FileChannel.open(segment, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(500_000);
        }
        ArchiveResult.Failed f = failed(archiver.archive(segment.toString()));
        assertEquals(ErrorCode.BAD_SIZE, f.code());
        assertEquals("'000000010000000000000003' is 500000 bytes, but WAL segments of this cluster are 1048576 bytes"
                + " (truncated or foreign file)", f.message());
    }

    @Test
    void aFullDiskFailsThePushAndLeavesNoObject() throws IOException {
        Path segment = pg.segment("000000010000000000000004", 4);
        storage.failWrite(1, "No space left on device");
        ArchiveResult.Failed f = failed(archiver.archive(segment.toString()));
        assertEquals(ErrorCode.STORAGE_FAILED, f.code());
        assertTrue(f.message().contains("No space left on device"), f.message());
        assertTrue(repository.wal().find(WalFileName.parse("000000010000000000000004")).isEmpty());
        // the disk has room again: PostgreSQL's retry succeeds
        assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(segment.toString()));
    }

    @Test
    void historyAndBackupFilesAreArchivedAndValidated() throws IOException {
        Path history = Files.writeString(pg.pgWal.resolve("00000002.history"), "1\t0/3000000\tno recovery target\n");
        assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(history.toString()));
        assertArrayEquals(Files.readAllBytes(history), archived("00000002.history"));
        Path backup = Files.writeString(pg.pgWal.resolve("000000010000000000000001.00000028.backup"),
                "START WAL LOCATION: 0/100028 (file 000000010000000000000001)\nSTOP WAL LOCATION: 0/100100\n");
        assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(backup.toString()));
        Path bogus = Files.writeString(pg.pgWal.resolve("00000003.history"), "this is not a history file");
        assertEquals(ErrorCode.BAD_HEADER, failed(archiver.archive(bogus.toString())).code());
    }

    @Test
    void aPartialSegmentIsArchivedUnderItsOwnName() throws IOException {
        Path partial = pg.pgWal.resolve("000000010000000000000005.partial");
        Files.move(pg.segment("000000010000000000000005", 5), partial);
        assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(partial.toString()));
        assertTrue(repository.wal().find(WalFileName.parse("000000010000000000000005")).isEmpty());
        assertArrayEquals(Files.readAllBytes(partial), archived("000000010000000000000005.partial"));
    }

    @Test
    void aFileThisAgentStoredIsAnsweredFromTheIndexWithoutReadingOrListing() throws IOException {
        Path segment = pg.segment("000000010000000000000002", 2);
        assertFalse(assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(segment.toString())).alreadyArchived());
        int lists = storage.lists();
        int commits = storage.commits();
        ArchiveResult.Stored again = assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(segment.toString()));
        assertTrue(again.alreadyArchived());
        assertEquals(lists, storage.lists(), "no listing of the repository");
        assertEquals(commits, storage.commits(), "nothing written");
    }

    @Test
    void theIndexAnswersOnlyForTheSameUnchangedFileAndAStillPresentObject() throws IOException {
        Path segment = pg.segment("000000010000000000000002", 2);
        assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(segment.toString()));
        // same content, but a new file (another inode): the long way, which compares checksums
        Path copy = dir.resolve("copy");
        Files.copy(segment, copy);
        Files.move(copy, segment, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        int lists = storage.lists();
        assertTrue(assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(segment.toString())).alreadyArchived());
        assertTrue(storage.lists() > lists, "a different file is checked against the repository");
        // and once its object is gone (expired, removed by hand), the index no longer answers
        StoredWal stored = repository.wal().find(WalFileName.parse("000000010000000000000002")).orElseThrow();
        memory.delete(stored.key());
        ArchiveResult.Stored restored = assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(segment.toString()));
        assertFalse(restored.alreadyArchived(), "stored again");
        assertArrayEquals(Files.readAllBytes(segment), archived("000000010000000000000002"));
    }

    @Test
    void theIndexRebuiltAtStartHoldsEveryArchivedFileButConfirmsNone() throws IOException {
        for (int i = 2; i <= 4; i++) {
            archiver.archive(pg.segment("00000001000000000000000" + i, i).toString());
        }
        // only what PostgreSQL still has to archive is loaded: memory follows pg_wal, not the archive
        ArchivedIndex rebuilt = ArchivedIndex.rebuild(repository,
                java.util.Set.of("000000010000000000000003", "000000010000000000000004", "000000010000000000000009"));
        assertEquals(2, rebuilt.size());
        assertTrue(rebuilt.contains("000000010000000000000003"));
        assertFalse(rebuilt.contains("000000010000000000000002"), "already done: not loaded");
        assertFalse(rebuilt.confirmed("000000010000000000000003"), "its file in pg_wal was not seen yet");
        SegmentArchiver restarted = new SegmentArchiver(new WalDirectory(pg.pgdata, pg.pgWal), repository,
                Compression.ZSTD, 3, Clock.systemUTC(), rebuilt, SegmentArchiver.MAX_HELD_BYTES);
        int commits = storage.commits();
        assertTrue(assertInstanceOf(ArchiveResult.Stored.class,
                restarted.archive(pg.pgWal.resolve("000000010000000000000003").toString())).alreadyArchived());
        assertEquals(commits, storage.commits());
        assertTrue(rebuilt.confirmed("000000010000000000000003"), "confirmed by its checksum, answered fast from now on");
    }

    @Test
    void aSegmentOfATimelineWhoseHistoryIsNowhereIsRefusedAndNothingIsStored() throws IOException {
        Path segment = pg.segment("000000020000000000000003", 3);
        int commits = storage.commits();
        ArchiveResult.Failed f = failed(archiver.archive(segment.toString()));
        assertEquals(ErrorCode.MISSING_HISTORY, f.code());
        assertEquals("'000000020000000000000003' is on timeline 2, but '00000002.history' is neither in the repository"
                + " nor in pg_wal: recovery could not follow that timeline; put the history file back into pg_wal (a"
                + " copy from the server that created the timeline) and PostgreSQL's next attempt archives both",
                f.message());
        assertEquals(commits, storage.commits(), "nothing stored");
        // the history is back: the retry archives it, then the segment
        Files.writeString(pg.pgWal.resolve("00000002.history"), "1\t0/300000\tno recovery target specified\n");
        assertInstanceOf(ArchiveResult.Stored.class, archiver.archive(segment.toString()));
        assertTrue(repository.wal().find(WalFileName.parse("00000002.history")).isPresent());
        assertArrayEquals(Files.readAllBytes(segment), archived("000000020000000000000003"));
    }

    @Test
    void walOfAnotherSystemIsForeignWhateverItsTimeline() throws IOException {
        Path foreign = pg.foreignSegment("000000090000000000000003", 12345L);
        assertEquals(ErrorCode.FOREIGN_SYSTEM, failed(archiver.archive(foreign.toString())).code(),
                "not missing_history: the file doesn't belong here at all");
    }

    @Test
    void aPartialSegmentNeedsItsTimelinesHistoryToo() throws IOException {
        Path partial = pg.pgWal.resolve("000000030000000000000005.partial");
        Files.move(pg.segment("000000030000000000000005", 5), partial);
        assertEquals(ErrorCode.MISSING_HISTORY, failed(archiver.archive(partial.toString())).code());
    }

    @Test
    void aHistoryInPgWalThatIsEmptyIsRefusedAndSoIsItsSegment() throws IOException {
        Path history = Files.writeString(pg.pgWal.resolve("00000002.history"), "# nothing here\n");
        assertEquals(ErrorCode.BAD_HEADER, failed(archiver.archive(history.toString())).code());
        ArchiveResult.Failed f = failed(archiver.archive(pg.segment("000000020000000000000003", 3).toString()));
        assertEquals(ErrorCode.BAD_HEADER, f.code());
        assertTrue(f.message().startsWith("'000000020000000000000003' needs '00000002.history' archived first, which "
                + "failed: '00000002.history' is not a valid timeline history: it has no entry"), f.message());
        assertTrue(memory.snapshot().keySet().stream().noneMatch(k -> k.startsWith("wal/")), "nothing stored");
    }

    @Test
    void aSegmentIsNotRefusedWhileAnotherWorkerStoresItsHistory() throws Exception {
        Path history = Files.writeString(pg.pgWal.resolve("00000002.history"), "1\t0/300000\tno recovery target\n");
        Path segment = pg.segment("000000020000000000000003", 3);
        storage.stallWrites(); // the history's store is in flight, not yet in the repository
        java.util.concurrent.ExecutorService workers = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var historyDone = workers.submit(() -> archiver.archive(history.toString()));
            awaitStalledWrites(1);
            var segmentDone = workers.submit(() -> archiver.archive(segment.toString()));
            awaitStalledWrites(2); // the segment's worker stores the history itself first
            storage.release();
            assertInstanceOf(ArchiveResult.Stored.class, historyDone.get(30, java.util.concurrent.TimeUnit.SECONDS));
            assertInstanceOf(ArchiveResult.Stored.class, segmentDone.get(30, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            storage.release();
            workers.shutdownNow();
        }
        assertArrayEquals(Files.readAllBytes(history), archived("00000002.history"));
        assertArrayEquals(Files.readAllBytes(segment), archived("000000020000000000000003"));
    }

    /** Waits until {@code n} writes are held in commit by {@link FaultInjectingStorage#stallWrites()}. */
    private void awaitStalledWrites(int n) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (storage.stalledCommits() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(storage.stalledCommits() + " write(s) stalled, expected " + n);
            }
            Thread.sleep(5);
        }
    }
}
