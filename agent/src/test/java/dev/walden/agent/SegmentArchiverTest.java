package dev.walden.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
