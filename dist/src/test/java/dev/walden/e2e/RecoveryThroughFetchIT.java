package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.postgres.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL itself recovers through {@code restore_command = 'walden fetch %f %p'}: a base
 * backup taken without WAL (pg_basebackup -X none, as a test tool) can only become consistent
 * and catch up if walden hands it every segment, and it ends recovery at the end of the archive
 * because walden answers "not found" with exit 1.
 */
class RecoveryThroughFetchIT {
    @TempDir
    Path dir;

    @Test
    void aBackupWithoutWalRecoversEveryCommittedRowFromTheArchive() throws Exception {
        Path clusterDir = dir.resolve("pg");
        try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
             LocalCluster primary = walden.initCluster(clusterDir, Map.of())) {
            walden.init();
            walden.startAgent();
            primary.start();
            primary.execute("CREATE TABLE orders (id int PRIMARY KEY, note text)",
                    "INSERT INTO orders SELECT g, 'before backup' FROM generate_series(1, 1000) g");

            Path backup = dir.resolve("restored/data");
            Files.createDirectories(backup.getParent());
            Installation.Run basebackup = Installation.run(dir, Installation.pgBin().resolve("pg_basebackup").toString(),
                    "-h", "127.0.0.1", "-p", Integer.toString(primary.port()), "-U", "postgres", "-D", backup.toString(),
                    "-X", "none", "-c", "fast");
            assertEquals(0, basebackup.exit(), basebackup.toString());

            primary.execute("INSERT INTO orders SELECT g, 'after backup' FROM generate_series(1001, 3000) g");
            List<String> segments = Archiver.switchSegments(primary, 3);
            Archiver.awaitArchived(primary, segments.get(segments.size() - 1), Duration.ofSeconds(60));
            long expected = Long.parseLong(primary.queryOne("SELECT count(*) FROM orders"));

            int port = LocalCluster.freePort();
            Files.writeString(backup.resolve("postgresql.auto.conf"), "\nport = " + port
                    + "\nunix_socket_directories = '" + dir.resolve("restored") + "'"
                    + "\narchive_mode = off"
                    + "\nrestore_command = " + walden.restoreCommand() + "\n", StandardOpenOption.APPEND);
            Files.createFile(backup.resolve("recovery.signal"));
            Path log = dir.resolve("restored/postgres.log");
            Installation.Run start = Installation.run(dir, Installation.pgBin().resolve("pg_ctl").toString(), "-D",
                    backup.toString(), "-l", log.toString(), "-w", "-t", "120", "start");
            try {
                assertEquals(0, start.exit(), start + Files.readString(log));
                String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                String inRecovery;
                do {
                    Thread.sleep(200);
                    inRecovery = query(url, "SELECT pg_is_in_recovery()");
                } while ("t".equals(inRecovery) && System.nanoTime() < deadline);
                assertEquals("f", inRecovery, "recovery ended and the copy was promoted: " + Files.readString(log));
                assertEquals(Long.toString(expected), query(url, "SELECT count(*) FROM orders"));
                assertEquals("2000", query(url, "SELECT count(*) FROM orders WHERE note = 'after backup'"));
                String serverLog = Files.readString(log);
                assertTrue(serverLog.contains("restored log file \"" + segments.get(0) + "\" from archive"), serverLog);
            } finally {
                Installation.run(dir, Installation.pgBin().resolve("pg_ctl").toString(), "-D", backup.toString(), "-m",
                        "immediate", "-w", "stop");
            }
        }
    }

    private static String query(String url, String sql) throws Exception {
        try (var c = java.sql.DriverManager.getConnection(url); var s = c.createStatement();
             var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
