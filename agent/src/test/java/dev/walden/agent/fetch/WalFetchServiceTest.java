package dev.walden.agent.fetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.SetClock;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.FetchRequest;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.storage.MemoryStorage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.SyntheticWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalFetchServiceTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(5L, 15, new WalSegmentSize(1024 * 1024));
    private static final int FIRST = 0x10;
    private static final int LAST = 0x20;

    @TempDir
    Path pgWal;

    private final MemoryStorage storage = new MemoryStorage();
    private final SetClock clock = new SetClock(Instant.parse("2026-12-06T12:00:00Z"));
    private WalFetchService service;

    @AfterEach
    void close() {
        if (service != null) {
            service.close();
        }
    }

    private Repository repository() throws Exception {
        Repository repository = Repository.create(storage, CLUSTER, Clock.systemUTC());
        for (int segno = FIRST; segno <= LAST; segno++) {
            byte[] segment = content(segno);
            repository.wal().store(name(segno), Checksums.sha256(new ByteArrayInputStream(segment)), Compression.ZSTD,
                    3, new ByteArrayInputStream(segment));
        }
        return repository;
    }

    private static WalFileName name(int segno) {
        return WalFileName.segment(1, segno, CLUSTER.segmentSize());
    }

    private static byte[] content(int segno) {
        return SyntheticWal.segment(CLUSTER, name(segno), segno);
    }

    private Frame fetch(int segno) {
        return service.fetch(new FetchRequest(name(segno).toString(), pgWal.resolve("RECOVERYXLOG").toString())).join();
    }

    private Set<String> files() throws Exception {
        try (Stream<Path> list = Files.list(pgWal)) {
            return list.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static Set<String> ahead(int... segnos) {
        Set<String> names = new TreeSet<>();
        for (int segno : segnos) {
            names.add(WalFetchService.AHEAD_PREFIX + name(segno));
        }
        return names;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private Set<String> filesQuietly() {
        try {
            return files();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void servesTheNextSegmentsFromFilesReadAheadIntoTheSameDirectory() throws Exception {
        service = new WalFetchService(repository(), clock);
        assertEquals(FrameType.OK, fetch(FIRST).type());
        assertArrayEquals(content(FIRST), Files.readAllBytes(pgWal.resolve("RECOVERYXLOG")));
        Set<String> expected = new TreeSet<>(ahead(FIRST + 1, FIRST + 2, FIRST + 3, FIRST + 4));
        expected.add("RECOVERYXLOG");
        await(() -> filesQuietly().equals(expected), "the next 4 segments read ahead, and nothing else: " + expected);
        for (int i = 1; i <= 4; i++) {
            assertArrayEquals(content(FIRST + i), Files.readAllBytes(pgWal.resolve(ahead(FIRST + i).iterator().next())),
                    "read ahead complete and intact");
        }

        Files.delete(pgWal.resolve("RECOVERYXLOG")); // as PostgreSQL does before each restore_command
        assertEquals(FrameType.OK, fetch(FIRST + 1).type());
        assertArrayEquals(content(FIRST + 1), Files.readAllBytes(pgWal.resolve("RECOVERYXLOG")));
        assertEquals("1", service.status().get("fetch_served_ahead"), "the second one came from the file read ahead");
        assertEquals("2", service.status().get("fetch_served"));
        assertFalse(files().contains(ahead(FIRST + 1).iterator().next()), "renamed, not copied");
    }

    @Test
    void theEndOfTheArchiveLeavesNoFileAndNotFoundStaysNotFound() throws Exception {
        service = new WalFetchService(repository(), clock);
        assertEquals(FrameType.OK, fetch(LAST - 1).type());
        Set<String> expected = new TreeSet<>(ahead(LAST));
        expected.add("RECOVERYXLOG");
        await(() -> filesQuietly().equals(expected), "only the one segment the archive holds read ahead");
        Frame reply = fetch(LAST + 1);
        assertEquals(ErrorCode.FILE_NOT_FOUND, ErrorReply.fromFrame(reply).knownCode());
    }

    @Test
    void aCorruptSegmentReadAheadIsNeverServedAndIsNamedWhenAskedFor() throws Exception {
        Repository repository = repository();
        StoredWal stored = repository.wal().find(name(FIRST + 1)).orElseThrow();
        byte[] damaged = storage.read(stored.key()).readAllBytes();
        damaged[damaged.length / 2] ^= 1;
        storage.tamper(stored.key(), damaged);
        service = new WalFetchService(repository, clock);
        assertEquals(FrameType.OK, fetch(FIRST).type());
        await(() -> filesQuietly().containsAll(ahead(FIRST + 2, FIRST + 3, FIRST + 4)), "the intact ones read ahead");
        assertFalse(files().contains(ahead(FIRST + 1).iterator().next()), "the damaged one is not there");
        Files.delete(pgWal.resolve("RECOVERYXLOG"));
        ErrorReply reply = ErrorReply.fromFrame(fetch(FIRST + 1));
        assertEquals(ErrorCode.CORRUPT_OBJECT, reply.knownCode());
        assertTrue(reply.message().contains(name(FIRST + 1).toString()), reply.message());
        assertFalse(Files.exists(pgWal.resolve("RECOVERYXLOG")), "nothing under the name PostgreSQL reads");
    }

    @Test
    void unclaimedSegmentsAreDeletedBySweepingAndWhenTheAgentStops() throws Exception {
        service = new WalFetchService(repository(), clock);
        fetch(FIRST);
        await(() -> filesQuietly().size() == 5, "4 read ahead");
        clock.advance(WalFetchService.UNCLAIMED.plusSeconds(1));
        service.sweep();
        await(() -> filesQuietly().equals(Set.of("RECOVERYXLOG")), "unclaimed files deleted");

        fetch(FIRST + 5);
        await(() -> filesQuietly().size() == 5, "4 read ahead again");
        service.close();
        assertEquals(Set.of("RECOVERYXLOG"), files(), "stopping deletes what was read ahead");
        service = null;
    }

    @Test
    void writesOnlyUnderPostgresNamesInAbsolutePaths() throws Exception {
        service = new WalFetchService(repository(), clock);
        for (String path : new String[] {"pg_wal/RECOVERYXLOG", pgWal.resolve("postgresql.conf").toString(),
                pgWal.resolve("x/../RECOVERYXLOG").toString()}) {
            Frame reply = service.fetch(new FetchRequest(name(FIRST).toString(), path)).join();
            assertEquals(ErrorCode.BAD_REQUEST, ErrorReply.fromFrame(reply).knownCode(), path);
        }
        assertEquals(Set.of(), files());
    }
}
