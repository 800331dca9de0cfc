package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.postgres.LocalCluster;
import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL 15 archiving through the built bin/walden-push into a separately running
 * bin/walden agent, and reading back with bin/walden fetch.
 */
class ArchiveEndToEndIT {
    private static final Duration ARCHIVE_WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    Installation walden;
    LocalCluster cluster;

    @BeforeEach
    void setUp() throws Exception {
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(clusterDir, Map.of());
        walden.init();
        walden.startAgent();
        cluster.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (walden != null) {
            walden.close();
        }
    }

    private Optional<StoredWal> archived(String name) throws Exception {
        return Repository.open(new PosixStorage(walden.repository)).wal().find(WalFileName.parse(name));
    }

    @Test
    void archivesTwentyTwoSegmentsAndFetchReturnsEachByteForByte() throws Exception {
        List<String> segments = Archiver.switchSegments(cluster, 22);
        Archiver.awaitArchived(cluster, segments.get(segments.size() - 1), ARCHIVE_WAIT);
        assertEquals(0, Archiver.failedCount(cluster), cluster.logText());
        assertTrue(Archiver.archivedCount(cluster) >= 22);

        Path fetched = Files.createDirectories(dir.resolve("fetched"));
        for (String segment : segments) {
            assertTrue(archived(segment).isPresent(), segment + " is in the repository");
            Path target = fetched.resolve("RECOVERYXLOG-" + segment);
            Installation.Run run = walden.walden("fetch", "--config", walden.config.toString(), segment,
                    target.toString());
            assertEquals(0, run.exit(), run.toString());
            assertArrayEquals(Files.readAllBytes(cluster.pgWal().resolve(segment)), Files.readAllBytes(target),
                    segment + " fetched byte for byte");
        }
        assertTrue(walden.agentLog().contains("archived '" + segments.get(0) + "'"), walden.agentLog());
    }

    @Test
    void whileTheAgentIsDownNothingIsMarkedArchivedAndTheBacklogDrainsAfterwards() throws Exception {
        List<String> before = Archiver.switchSegments(cluster, 2);
        Archiver.awaitArchived(cluster, before.get(1), ARCHIVE_WAIT);
        String lastBefore = Archiver.lastArchived(cluster);
        long failuresBefore = Archiver.failedCount(cluster);

        assertEquals(0, walden.stopAgent(), "a clean stop on SIGTERM");
        assertFalse(Files.exists(walden.socket), "the socket is removed on shutdown");
        String stopped = walden.agentLog();
        assertTrue(stopped.contains("msg=\"agent shutting down; waiting up to "), "logged although the JVM is "
                + "shutting down: " + stopped);
        assertTrue(stopped.strip().endsWith("msg=\"agent stopped\""), stopped);
        List<String> during = Archiver.switchSegments(cluster, 3);
        Archiver.awaitFailures(cluster, failuresBefore, ARCHIVE_WAIT);
        assertEquals(lastBefore, Archiver.lastArchived(cluster), "nothing is marked archived without the agent");
        for (String segment : during) {
            assertTrue(Files.exists(cluster.pgWal().resolve("archive_status/" + segment + ".ready")), segment);
            assertTrue(archived(segment).isEmpty(), segment + " must not be in the repository yet");
        }
        assertTrue(cluster.logText().contains("walden-push: 'pg_wal/" + during.get(0) + "' not archived: agent not "
                + "running"), "the reason is in PostgreSQL's log");

        walden.startAgent();
        // a new segment wakes the archiver, which then works through the backlog oldest first
        List<String> after = Archiver.switchSegments(cluster, 1);
        Archiver.awaitArchived(cluster, after.get(0), ARCHIVE_WAIT);
        WalSegmentSize size = WalSegmentSize.DEFAULT;
        long first = WalFileName.parse(before.get(0)).segmentNumber(size);
        long last = WalFileName.parse(after.get(0)).segmentNumber(size);
        for (long segno = first; segno <= last; segno++) {
            String name = WalFileName.segment(1, segno, size).toString();
            assertTrue(archived(name).isPresent(), name + " is missing from the repository");
            assertTrue(Files.exists(cluster.pgWal().resolve("archive_status/" + name + ".done")), name);
        }
    }

    @Test
    void aKilledAgentLeavesAStaleSocketThatTheNextAgentReplaces() throws Exception {
        Installation.Run second = walden.walden("agent", "--config", walden.config.toString());
        assertEquals(1, second.exit(), second.toString());
        assertTrue(second.stderr().contains("walden agent (pid ") && second.stderr().contains("is already archiving into")
                && second.stderr().contains("one agent per repository"), second.stderr());

        walden.killAgent();
        assertTrue(Files.exists(walden.socket), "kill -9 leaves the socket file behind");
        List<String> during = Archiver.switchSegments(cluster, 1);
        Installation.Run refused = walden.push(cluster.pgdata(), "--config", walden.config.toString(), "--ping");
        assertEquals(3, refused.exit(), refused.toString());
        assertTrue(refused.stderr().contains("agent not running: nobody listens on"), refused.stderr());

        walden.startAgent();
        List<String> after = Archiver.switchSegments(cluster, 1);
        Archiver.awaitArchived(cluster, after.get(0), ARCHIVE_WAIT);
        assertTrue(archived(during.get(0)).isPresent(), during.get(0));
        assertTrue(archived(after.get(0)).isPresent(), after.get(0));
    }

    @Test
    void refusesForeignWalOutsidePathsAndMalformedNamesWithAClearMessage() throws Exception {
        List<String> segments = Archiver.switchSegments(cluster, 1);
        Archiver.awaitArchived(cluster, segments.get(0), ARCHIVE_WAIT);
        Path pgdata = cluster.pgdata();

        // WAL of another cluster, placed in this cluster's pg_wal under a timeline nobody uses
        LocalCluster other = LocalCluster.init(Installation.pgBin(), dir.resolve("other"), 16, Map.of());
        Path foreign = cluster.pgWal().resolve("000000090000000000000001");
        Files.copy(other.pgWal().resolve("000000010000000000000001"), foreign);
        String otherSystem = String.valueOf(dev.walden.wal.ClusterIdentity.read(other.pgdata(), other.pgWal())
                .systemIdentifier());
        try {
            Installation.Run run = walden.push(pgdata, "--config", walden.config.toString(),
                    "pg_wal/000000090000000000000001");
            assertEquals(5, run.exit(), run.toString());
            assertTrue(run.stderr().contains("belongs to database system " + otherSystem)
                    && run.stderr().endsWith("[foreign_system]\n"), run.stderr());
            assertEquals(1, run.stderr().lines().count(), "one line");
        } finally {
            Files.delete(foreign);
        }
        assertTrue(archived("000000090000000000000001").isEmpty());

        // a copy of a real segment outside pg_wal, by absolute path and by traversal
        Path outside = Files.createDirectories(dir.resolve("elsewhere")).resolve("000000010000000000000077");
        Files.copy(cluster.pgWal().resolve(segments.get(0)), outside);
        for (String path : new String[] {outside.toString(), "pg_wal/../../../elsewhere/000000010000000000000077"}) {
            Installation.Run run = walden.push(pgdata, "--config", walden.config.toString(), path);
            assertEquals(5, run.exit(), run.toString());
            assertTrue(run.stderr().contains("is not inside pg_wal") && run.stderr().endsWith("[outside_pg_wal]\n"),
                    run.stderr());
        }

        Installation.Run malformed = walden.push(pgdata, "--config", walden.config.toString(),
                "pg_wal/000000010000000000000001.ready");
        assertEquals(5, malformed.exit(), malformed.toString());
        assertEquals("walden-push: 'pg_wal/000000010000000000000001.ready' not archived: '000000010000000000000001"
                + ".ready' is not a WAL file name (expected a segment, .partial, .backup or .history name) [bad_name]\n",
                malformed.stderr());

        // another cluster can neither take over this repository nor run an agent on it
        Path otherConfig = dir.resolve("other.conf");
        Files.writeString(otherConfig, "pgdata = " + other.pgdata() + "\nrepository.path = " + walden.repository
                + "\nagent.socket = " + dir.resolve("other.sock") + "\n");
        for (String command : new String[] {"init", "agent"}) {
            Installation.Run run = walden.walden(command, "--config", otherConfig.toString());
            assertEquals(1, run.exit(), run.toString());
            assertTrue(run.stderr().contains("belongs to system") && run.stderr().contains("give each cluster its own "
                    + "repository"), run.stderr());
        }
    }

    @Test
    void aSegmentOfATimelineWhoseHistoryIsNowhereIsRefusedNamingBoth() throws Exception {
        List<String> segments = Archiver.switchSegments(cluster, 1);
        Archiver.awaitArchived(cluster, segments.get(0), ARCHIVE_WAIT);
        // a real segment under timeline 7, as the first segment of a new timeline looks (its pages
        // still say timeline 1), but no 00000007.history anywhere
        String name = "00000007" + segments.get(0).substring(8);
        Path copy = cluster.pgWal().resolve(name);
        Files.copy(cluster.pgWal().resolve(segments.get(0)), copy);
        try {
            Installation.Run run = walden.push(cluster.pgdata(), "--config", walden.config.toString(), "pg_wal/" + name);
            assertEquals(5, run.exit(), run.toString());
            assertEquals("walden-push: 'pg_wal/" + name + "' not archived: '" + name + "' is on timeline 7, but "
                    + "'00000007.history' is neither in the repository nor in pg_wal: recovery could not follow that "
                    + "timeline; put the history file back into pg_wal (a copy from the server that created the "
                    + "timeline) and PostgreSQL's next attempt archives both [missing_history]\n", run.stderr());
        } finally {
            Files.delete(copy);
        }
        assertTrue(archived(name).isEmpty());
    }

    @Test
    void aJvmThatCannotStartIsNeverTakenForNotFound() throws Exception {
        Installation.Run run = Installation.run(dir, "env", "WALDEN_JAVA_OPTS=-Xmx1gg",
                Installation.HOME.resolve("bin/walden").toString(), "fetch", "--config", walden.config.toString(),
                "000000010000000000000001", dir.resolve("RECOVERYXLOG").toString());
        assertEquals(200, run.exit(), run.toString());
        assertTrue(run.stderr().contains("java exited 1 without fetching"), run.stderr());
    }

    @Test
    void fetchExitCodesTellNotFoundFromCorruptionFromUnreadable() throws Exception {
        List<String> segments = Archiver.switchSegments(cluster, 1);
        Archiver.awaitArchived(cluster, segments.get(0), ARCHIVE_WAIT);
        String config = walden.config.toString();
        Path target = dir.resolve("RECOVERYXLOG");

        Installation.Run missing = walden.walden("fetch", "--config", config, "0000000100000000000000FE",
                target.toString());
        assertEquals(1, missing.exit(), missing.toString());
        Installation.Run history = walden.walden("fetch", "--config", config, "00000002.history", target.toString());
        assertEquals(1, history.exit(), "a timeline PostgreSQL probes for but nobody created: " + history);

        // flip one byte of the stored object, as bit rot would
        StoredWal stored = archived(segments.get(0)).orElseThrow();
        Path object = walden.repository.resolve(stored.key());
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(object, bytes);
        Installation.Run corrupt = walden.walden("fetch", "--config", config, segments.get(0), target.toString());
        assertEquals(202, corrupt.exit(), corrupt.toString());
        assertTrue(corrupt.stderr().contains("is corrupt"), corrupt.stderr());
        assertFalse(Files.exists(target), "nothing written under the destination name");
        try (var leftovers = Files.list(dir)) {
            assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().startsWith("RECOVERYXLOG")),
                    "no temporary file left behind");
        }

        Path wrongRepo = dir.resolve("wrong.conf");
        Files.writeString(wrongRepo, "repository.path = " + dir.resolve("no-repository-here") + "\n");
        Installation.Run unreadable = walden.walden("fetch", "--config", wrongRepo.toString(), segments.get(0),
                target.toString());
        assertEquals(201, unreadable.exit(), unreadable.toString());
        assertTrue(unreadable.stderr().contains("repository directory '" + dir.resolve("no-repository-here")
                + "' does not exist (disk not mounted?"), unreadable.stderr());
        Files.createDirectory(dir.resolve("no-repository-here"));
        Installation.Run empty = walden.walden("fetch", "--config", wrongRepo.toString(), segments.get(0),
                target.toString());
        assertEquals(201, empty.exit(), empty.toString());
        assertTrue(empty.stderr().contains("no walden repository in"), empty.stderr());

        Installation.Run usage = walden.walden("fetch", "--config", config, segments.get(0));
        assertEquals(200, usage.exit(), "a missing argument is not 'not found': " + usage);
        Installation.Run helpWithFiles = walden.walden("fetch", "--help", segments.get(0), target.toString());
        assertEquals(200, helpWithFiles.exit(), helpWithFiles.toString());
        assertFalse(Files.exists(target));

        Installation.Run badName = walden.walden("fetch", "--config", config, "../../etc/passwd", target.toString());
        assertEquals(200, badName.exit(), badName.toString());
    }
}
