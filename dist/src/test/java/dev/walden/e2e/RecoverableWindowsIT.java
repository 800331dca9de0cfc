package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.catalog.BackupManifest;
import dev.walden.postgres.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A WAL gap between two base backups, on real PostgreSQL 15: walden list and walden verify report
 * two recoverable windows, and walden recover refuses a time between them and plans one inside
 * the second.
 */
class RecoverableWindowsIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aGapBetweenTwoBackupsSplitsTheWindowsAndRecoverRefusesTheTimesBetweenThem() throws Exception {
        Path clusterDir = dir.resolve("pg");
        try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
             LocalCluster cluster = walden.initCluster(clusterDir, Map.of())) {
            walden.connectTo(cluster);
            walden.init();
            walden.startAgent();
            cluster.start();
            String config = walden.config.toString();
            assertEquals(0, walden.walden("backup", "--config", config).exit());
            BackupManifest first = HandRestore.newest(walden.repository);
            List<String> between = Archiver.switchSegments(cluster, 3);
            Archiver.awaitArchived(cluster, between.get(2), WAIT);
            // well past the last of them: recover allows a second of slack (S3 keeps times to the second)
            Thread.sleep(2000);
            String inTheGap = Instant.now().toString();
            Thread.sleep(1000);
            assertEquals(0, walden.walden("backup", "--config", config).exit());
            BackupManifest second = HandRestore.newest(walden.repository);
            List<String> after = Archiver.switchSegments(cluster, 2);
            Archiver.awaitArchived(cluster, after.get(1), WAIT);
            String inTheSecondWindow = Instant.parse(second.stopTime()).plusMillis(500).toString();

            // a copy of the repository that lost a segment between the two backups
            Path copy = dir.resolve("repo-with-gap");
            assertEquals(0, Installation.run(dir, "cp", "-a", walden.repository.toString(), copy.toString()).exit());
            try (Stream<Path> files = Files.walk(copy.resolve("wal"))) {
                Files.delete(files.filter(p -> p.getFileName().toString().startsWith(between.get(1) + "-"))
                        .findFirst().orElseThrow());
            }
            Path gapConfig = Files.writeString(dir.resolve("gap.conf"), Files.readString(walden.config)
                    .replace(walden.repository.toString(), copy.toString()));

            Installation.Run list = walden.walden("list", "--config", gapConfig.toString(), "--json");
            assertEquals(0, list.exit(), list.toString());
            JsonNode windows = JSON.readTree(list.stdout()).get("windows");
            assertEquals(2, windows.size(), list.stdout());
            assertEquals(first.label(), windows.get(0).get("from_backup").asText());
            assertEquals(between.get(0), windows.get(0).get("latest_wal").asText(), "the first ends at the gap");
            assertEquals(second.label(), windows.get(1).get("from_backup").asText());
            assertEquals(second.stopTime(), windows.get(1).get("earliest").asText());
            assertEquals(windows.get(1), JSON.readTree(list.stdout()).get("recoverable"), "the newest window");

            Installation.Run verify = walden.walden("verify", "--config", gapConfig.toString());
            assertEquals(1, verify.exit(), verify.toString());
            assertTrue(verify.stdout().contains("GAP: 1 WAL file(s) missing on timeline 1 between " + between.get(0)
                    + " and " + between.get(2)), verify.stdout());
            assertTrue(verify.stdout().contains("Recoverable, in 2 windows"), verify.stdout());

            Installation.Run refused = walden.walden("recover", "--config", gapConfig.toString(), "--no-start",
                    "--pgdata", dir.resolve("in-the-gap").toString(), "--target-time", inTheGap);
            assertEquals(1, refused.exit(), refused.toString());
            // later WAL is archived: the gap, not archiving still to come, is what stands in the way
            assertTrue(refused.stderr().contains("WAL file " + between.get(1) + " is missing from the repository; "
                    + "recovery to time " + inTheGap + " from backup " + first.label()), refused.stderr());
            assertFalse(Files.exists(dir.resolve("in-the-gap")), "refused before anything was written");

            Installation.Run planned = walden.walden("recover", "--config", gapConfig.toString(), "--no-start",
                    "--pgdata", dir.resolve("in-the-second-window").toString(), "--target-time", inTheSecondWindow);
            assertEquals(0, planned.exit(), planned.toString());
            assertTrue(planned.stdout().contains("from backup " + second.label()), planned.stdout());
        }
    }
}
