package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.postgres.LocalCluster;
import dev.walden.repo.Repository;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PostgreSQL 15's archiver handing WAL to the agent through each of the three clients: the Java
 * walden-push, the native walden-push (both as archive_command) and the walden_archive module
 * (archive_library); and PostgreSQL 17's archiver (zonky's binaries) through the module built
 * against 17's headers, which takes the 16+ callback form. Same scenario, same expectations: files
 * archived byte for byte; a refused file, a dead agent, a silent agent and a garbled reply each
 * leave the file unarchived with the reason in PostgreSQL's log; the backlog drains once the
 * agent is back.
 */
class ArchiveClientsIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String DEBIAN_15 = "15";

    enum Client {
        JAVA, NATIVE, MODULE;

        /** How this client's complaint about a file starts in PostgreSQL's log. */
        String notArchived(String segment) {
            return this == MODULE ? "walden_archive: \"" + segment + "\" not archived: "
                    : "walden-push: 'pg_wal/" + segment + "' not archived: ";
        }
    }

    /** Debian's PostgreSQL 15 for every client; zonky's 17 for the module's 16+ callbacks. */
    static Stream<Arguments> clients() {
        return Stream.of(Arguments.of(Client.JAVA, DEBIAN_15), Arguments.of(Client.NATIVE, DEBIAN_15),
                Arguments.of(Client.MODULE, DEBIAN_15), Arguments.of(Client.MODULE, "17.11.0"));
    }

    @TempDir
    Path dir;
    Installation walden;
    LocalCluster cluster;

    @AfterEach
    void tearDown() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (walden != null) {
            walden.close();
        }
    }

    private static Path archiveModule(Path pgBin) throws IOException, InterruptedException {
        Installation.Run version = Installation.run(Path.of("/"), pgBin.resolve("postgres").toString(), "--version");
        String major = version.stdout().replaceAll("(?s).*\\(PostgreSQL\\) (\\d+).*", "$1");
        Path module = Installation.HOME.resolve("lib/postgresql/" + major + "/walden_archive.so");
        assertTrue(Files.isRegularFile(module), module + " was not built: install gcc and PostgreSQL " + major
                + "'s server headers (Debian: postgresql-server-dev-" + major
                + ", or as root native/pg-server-headers.sh " + major + "), then build again; see README");
        return module;
    }

    private Map<String, String> settings(Client client, Path pgBin) throws Exception {
        return switch (client) {
            case JAVA -> Map.of("archive_command", walden.archiveCommand("bin/walden-push-java"));
            case NATIVE -> {
                byte[] head = Files.readAllBytes(Installation.HOME.resolve("bin/walden-push"));
                assertEquals("\u007fELF", new String(head, 0, 4, StandardCharsets.ISO_8859_1),
                        "bin/walden-push is the native client (the build needs gcc)");
                yield Map.of("archive_command", walden.archiveCommand());
            }
            case MODULE -> Map.of("archive_command", "''",
                    "archive_library", LocalCluster.quote(archiveModule(pgBin).toString()),
                    "walden.socket", LocalCluster.quote(walden.socket.toString()));
        };
    }

    /** Sets how long the client waits for the agent, through the client's own setting. */
    private void setTimeout(Client client, String timeout) throws Exception {
        if (client == Client.MODULE) {
            cluster.setConfig("walden.timeout", LocalCluster.quote(timeout));
        } else {
            String program = client == Client.JAVA ? "bin/walden-push-java" : "bin/walden-push";
            cluster.setConfig("archive_command", walden.archiveCommand(program, "--timeout", timeout));
        }
        cluster.reload();
    }

    private void awaitLog(String text) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!cluster.logText().contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("PostgreSQL's log never said: " + text + "\n" + cluster.logText());
            }
            Thread.sleep(100);
        }
    }

    private boolean stored(String segment) throws Exception {
        return Repository.open(new PosixStorage(walden.repository)).wal().find(WalFileName.parse(segment)).isPresent();
    }

    private void assertNotArchived(String segment) throws Exception {
        assertTrue(Files.exists(cluster.pgWal().resolve("archive_status/" + segment + ".ready")), segment + " .ready");
        assertFalse(stored(segment), segment + " must not be in the repository");
    }

    @ParameterizedTest(name = "{0} on PostgreSQL {1}")
    @MethodSource("clients")
    void archivesAndEveryFailureLeavesTheFileToPostgresWithTheReasonInItsLog(Client client, String postgres)
            throws Exception {
        Path pgBin = postgres.equals(DEBIAN_15) ? Installation.pgBin() : OtherPostgres.bin(postgres);
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(pgBin, clusterDir, settings(client, pgBin), List.of());
        walden.init();
        walden.startAgent();
        cluster.start();

        // archived, byte for byte
        List<String> first = Archiver.switchSegments(cluster, 3);
        Archiver.awaitArchived(cluster, first.get(2), WAIT);
        assertEquals(0, Archiver.failedCount(cluster), cluster.logText());
        for (String segment : first) {
            Path fetched = dir.resolve("fetched-" + segment);
            Installation.Run run = walden.walden("fetch", "--config", walden.config.toString(), segment,
                    fetched.toString());
            assertEquals(0, run.exit(), run.toString());
            assertArrayEquals(Files.readAllBytes(cluster.pgWal().resolve(segment)), Files.readAllBytes(fetched), segment);
        }

        // walden check accepts each way of archiving and sees a forced switch arrive through it
        walden.connectTo(cluster);
        Installation.Run check = walden.walden("check", "--config", walden.config.toString(), "--timeout", "60s");
        assertEquals(0, check.exit(), check.toString());
        assertTrue(check.stdout().contains(client == Client.MODULE ? "archive_library = '" : "archive_command = '"),
                check.stdout());

        // a file the agent refuses (a truncated segment of an unused timeline). PostgreSQL's archiver
        // takes the ready files oldest first from its scan of archive_status, so the bogus file may
        // come before or after the segment switched here, depending on when the archiver scans; it
        // tries it three times, then gives up until something wakes it again
        String bogus = "000000090000000000000001";
        Files.write(cluster.pgWal().resolve(bogus), new byte[8192]);
        Files.writeString(cluster.pgWal().resolve("archive_status/" + bogus + ".ready"), "");
        String switched = Archiver.switchSegments(cluster, 1).get(0);
        awaitLog(client.notArchived(bogus) + "'" + bogus + "' is 8192 bytes");
        assertTrue(cluster.logText().contains("[bad_size]"), cluster.logText());
        assertNotArchived(bogus);
        // the archiver logs the failure, then reports it to the statistics: the view may lag the log
        String lastFailed = null;
        for (long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
             !bogus.equals(lastFailed) && System.nanoTime() < deadline; Thread.sleep(50)) {
            lastFailed = cluster.queryOne("SELECT last_failed_wal FROM pg_stat_archiver");
        }
        assertEquals(bogus, lastFailed);
        // only once PostgreSQL has given up on it is the file taken away (before that, PostgreSQL
        // would find the .ready gone mid-retry and try for seconds more to remove it itself); and
        // the stages below start only once every segment before them is archived: the next
        // failure PostgreSQL reports must be for the next segment, not an older one still pending
        awaitLog("archiving write-ahead log file \"" + bogus + "\" failed too many times");
        Files.delete(cluster.pgWal().resolve("archive_status/" + bogus + ".ready"));
        Files.delete(cluster.pgWal().resolve(bogus));
        Archiver.awaitArchived(cluster, switched, WAIT);

        // the agent is down
        assertEquals(0, walden.stopAgent());
        String down = Archiver.switchSegments(cluster, 1).get(0);
        awaitLog(client.notArchived(down) + "agent not running: no socket at '" + walden.socket + "'");
        assertNotArchived(down);

        // something listens but never answers: the client's timeout ends the wait
        setTimeout(client, "2s");
        try (FakeAgent silent = FakeAgent.answering(walden.socket, FakeAgent.SILENT)) {
            Archiver.switchSegments(cluster, 1);
            awaitLog(client.notArchived(down) + "timed out after 2s waiting for the reply (agent at '" + walden.socket
                    + "')");
            assertFalse(silent.requests().isEmpty());
        }
        assertNotArchived(down);

        // something answers garbage
        try (FakeAgent garbled = FakeAgent.answering(walden.socket, "HTTP/1.1 400 Bad Request\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII))) {
            Archiver.switchSegments(cluster, 1);
            awaitLog(client.notArchived(down) + "invalid reply from the agent: bad frame magic: byte 0 is 0x48, "
                    + "expected 0x57");
            assertFalse(garbled.requests().isEmpty());
        }
        assertNotArchived(down);
        assertEquals("1", cluster.queryOne("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'archiver'"),
                "the archiver survived every failure");
        assertFalse(cluster.logText().contains("terminated by signal"), cluster.logText());

        // the agent is back: the backlog drains, oldest first, and every file is stored
        setTimeout(client, "60s");
        walden.startAgent();
        String last = Archiver.switchSegments(cluster, 1).get(0);
        Archiver.awaitArchived(cluster, last, WAIT);
        WalSegmentSize size = WalSegmentSize.DEFAULT;
        for (long segno = WalFileName.parse(first.get(0)).segmentNumber(size);
             segno <= WalFileName.parse(last).segmentNumber(size); segno++) {
            String name = WalFileName.segment(1, segno, size).toString();
            assertTrue(stored(name), name + " is missing from the repository");
            assertTrue(Files.exists(cluster.pgWal().resolve("archive_status/" + name + ".done")), name);
        }
    }
}
