package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.postgres.LocalCluster;
import dev.walden.repo.StoredWal;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.WalFileName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Look-ahead on a real PostgreSQL 15: while PostgreSQL's archiver is held back (its
 * archive_command waits for a file to go away), the agent sees the .ready files and stores them;
 * once released, PostgreSQL's pushes are answered without storing anything again, and exactly one
 * object exists per WAL file.
 */
class LookAheadIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void filesAreInTheRepositoryBeforePostgresAsksAndItsPushesStoreNothingTwice() throws Exception {
        Path hold = Files.createFile(dir.resolve("hold"));
        Path clusterDir = dir.resolve("pg");
        try (Installation walden = new Installation(dir, clusterDir.resolve("data"))) {
            // PostgreSQL's archiver waits (at most 2 minutes) while the hold file exists, then pushes
            Path script = dir.resolve("held-push.sh");
            Files.writeString(script, "#!/bin/sh\n"
                    + "i=0\n"
                    + "while [ -f '" + hold + "' ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done\n"
                    + "exec '" + Installation.HOME.resolve("bin/walden-push") + "' --config '" + walden.config + "' \"$1\"\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
            try (LocalCluster cluster = walden.initCluster(clusterDir,
                    Map.of("archive_command", LocalCluster.quote(script + " %p")))) {
                walden.connectTo(cluster);
                walden.init();
                walden.startAgent();
                cluster.start();
                List<String> segments = Archiver.switchSegments(cluster, 5);
                PosixStorage repository = new PosixStorage(walden.repository);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!segments.stream().allMatch(s -> objects(repository, s) == 1)) {
                    assertTrue(System.nanoTime() < deadline, "not stored ahead within 60 s: " + walden.agentLog());
                    Thread.sleep(100);
                }
                assertEquals(0, Archiver.archivedCount(cluster), "PostgreSQL's archiver has not archived anything yet");
                JsonNode ahead = status(walden);
                assertTrue(ahead.get("archived_count").asLong() >= segments.size(), ahead.toString());
                assertEquals("on", ahead.get("look_ahead").asText());

                Files.delete(hold);
                Archiver.awaitArchived(cluster, segments.get(segments.size() - 1), Duration.ofSeconds(60));
                JsonNode after = status(walden);
                assertEquals(ahead.get("archived_count").asLong(), after.get("archived_count").asLong(),
                        "PostgreSQL's pushes of files stored ahead stored nothing: " + after);
                assertTrue(after.get("already_archived_count").asLong() >= segments.size(), after.toString());
                for (String segment : segments) {
                    assertEquals(1, objects(repository, segment), segment + ": exactly one object");
                }
                assertTrue(walden.agentLog().contains("(ahead of PostgreSQL's request)"), walden.agentLog());
                assertEquals(0, Archiver.failedCount(cluster), cluster.logText());
            }
        }
    }

    private static JsonNode status(Installation walden) throws Exception {
        Installation.Run status = walden.walden("status", "--config", walden.config.toString(), "--json");
        assertEquals(0, status.exit(), status.toString());
        return JSON.readTree(status.stdout());
    }

    /** Objects stored for one WAL file name. */
    private static long objects(PosixStorage repository, String segment) {
        try {
            return repository.list(StoredWal.prefixFor(WalFileName.parse(segment))).size();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
