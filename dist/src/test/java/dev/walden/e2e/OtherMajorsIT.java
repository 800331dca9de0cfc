package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.BackupManifest;
import dev.walden.postgres.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same archive, backup and recovery path on PostgreSQL 14 (pg_start_backup/pg_stop_backup,
 * non-exclusive) and 18 (pg_backup_start/stop, data checksums on by default), with the zonky
 * binaries: a full backup, an incremental on it, and the incremental restored by hand as
 * docs/repository-format.md describes.
 */
class OtherMajorsIT {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"14.19.0", "18.6.0"})
    void backupAndRecoverByHand(String version) throws Exception {
        Path bin = OtherPostgres.bin(version);
        Path clusterDir = dir.resolve("pg");
        try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
             LocalCluster cluster = walden.initCluster(bin, clusterDir, Map.of(), List.of())) {
            walden.connectTo(cluster);
            walden.init();
            walden.startAgent();
            cluster.start();
            cluster.execute("CREATE TABLE accounts AS SELECT g AS id, g * 10 AS balance FROM generate_series(1, 5000) g");
            Installation.Run backup = walden.walden("backup", "--config", walden.config.toString());
            assertEquals(0, backup.exit(), backup.toString());
            cluster.execute("UPDATE accounts SET balance = balance + 1 WHERE id <= 100",
                    "INSERT INTO accounts SELECT g, 0 FROM generate_series(5001, 6000) g");
            Installation.Run incremental = walden.walden("backup", "--config", walden.config.toString(), "--type",
                    "incr");
            assertEquals(0, incremental.exit(), incremental.toString());
            cluster.execute("UPDATE accounts SET balance = balance + 2 WHERE id % 50 = 0");
            List<String> segments = Archiver.switchSegments(cluster, 1);
            Archiver.awaitArchived(cluster, segments.get(0), Duration.ofSeconds(60));
            String expected = cluster.queryOne("SELECT count(*) || '/' || sum(balance) FROM accounts");

            BackupManifest manifest = HandRestore.newest(walden.repository);
            assertTrue(manifest.isComplete(), manifest.statusDetail());
            assertTrue(manifest.isIncremental(), "restored from the incremental");
            assertTrue(manifest.files().stream().anyMatch(f -> !f.deltas().isEmpty()), "accounts changed by block");
            assertEquals(Integer.parseInt(version.split("\\.")[0]), manifest.pgMajor());
            assertEquals(List.of(), manifest.checksumFailures());
            Path restored = dir.resolve("restored/data");
            HandRestore.restore(walden.repository, manifest, restored, dir.resolve("restored/tablespaces"));
            try (RecoveredCluster copy = RecoveredCluster.start(bin, restored, walden.restoreCommand())) {
                assertEquals(expected, copy.query("SELECT count(*) || '/' || sum(balance) FROM accounts"),
                        "PostgreSQL " + version + " recovered every change after the backup");
            }
        }
    }
}
