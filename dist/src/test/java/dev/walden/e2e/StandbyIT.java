package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.postgres.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * walden recover --standby against a real PostgreSQL 15 primary: the standby catches up from the
 * repository, then streams through a slot it had created; rows written on the primary after it
 * started appear on it. A standby with archive_mode = always archives through the same agent.
 */
class StandbyIT {
    private static final Pattern CONNECT = Pattern.compile("connect: psql \"postgresql://\\S+@localhost:(\\d+)/");

    @TempDir
    static Path dir;
    static Installation walden;
    static LocalCluster primary;

    @BeforeAll
    static void primaryWithABackup() throws Exception {
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        primary = walden.initCluster(clusterDir, Map.of());
        walden.connectTo(primary);
        walden.init();
        walden.startAgent();
        primary.start();
        primary.execute("CREATE TABLE orders (id int PRIMARY KEY, note text)",
                "INSERT INTO orders SELECT g, 'before the backup' FROM generate_series(1, 1000) g");
        assertEquals(0, walden.walden("backup", "--config", walden.config.toString()).exit());
        primary.execute("INSERT INTO orders SELECT g, 'archived before the standby' FROM generate_series(1001, 2000) g");
        Archiver.awaitArchived(primary, Archiver.switchSegments(primary, 1).get(0), Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        primary.close();
        walden.close();
    }

    @Test
    void aStandbyBuiltFromTheRepositoryStreamsWhatThePrimaryWritesAfterItStarted() throws Exception {
        Path standby = dir.resolve("standby");
        Installation.Run run = walden.walden("recover", "--config", walden.config.toString(), "--standby",
                "--slot", "walden_it", "--create-slot", "--pgdata", standby.toString());
        try {
            assertEquals(0, run.exit(), run.toString());
            assertTrue(run.stdout().contains("created replication slot walden_it on the primary"), run.stdout());
            assertTrue(run.stdout().contains("state: standby: "), run.stdout()); // streaming, or about to
            assertTrue(Files.exists(standby.resolve("standby.signal")));
            String conf = Files.readString(standby.resolve("postgresql.auto.conf"));
            assertTrue(conf.contains("primary_slot_name = 'walden_it'"), conf);
            assertTrue(conf.contains("archive_mode = 'off'"), conf);
            assertTrue(conf.contains("restore_command = '") && conf.contains("/walden-fetch\" --config "), conf);
            assertTrue(!conf.contains("password"), conf);
            Matcher connect = CONNECT.matcher(run.stdout());
            assertTrue(connect.find(), run.stdout());
            String url = "jdbc:postgresql://127.0.0.1:" + connect.group(1) + "/postgres?user=postgres";

            primary.execute("INSERT INTO orders SELECT g, 'after the standby started' FROM generate_series(2001, 2500) g");
            String expected = primary.queryOne("SELECT count(*) || ' ' || max(id) FROM orders");
            String seen = "";
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                while (!seen.equals(expected) && System.nanoTime() < deadline) {
                    try (ResultSet rs = s.executeQuery("SELECT count(*) || ' ' || max(id) FROM orders")) {
                        rs.next();
                        seen = rs.getString(1);
                    }
                    Thread.sleep(100);
                }
                try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                    rs.next();
                    assertTrue(rs.getBoolean(1), "still a standby");
                }
            }
            assertEquals("2500 2500", seen, "rows written on the primary after the standby started, not archived yet");
            assertEquals("streaming walden_standby true", primary.queryOne("SELECT r.state || ' ' || r.application_name "
                    + "|| ' ' || s.active FROM pg_stat_replication r JOIN pg_replication_slots s "
                    + "ON s.active_pid = r.pid WHERE s.slot_name = 'walden_it'"));
        } finally {
            Installation.run(dir, Installation.pgBin().resolve("pg_ctl").toString(), "-D", standby.toString(),
                    "-m", "fast", "-w", "stop");
            primary.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                    + "WHERE slot_name = 'walden_it'");
        }
    }

    @Test
    void aStandbyWithArchiveModeAlwaysArchivesThroughTheSameAgentWhatThePrimaryStoredAlready() throws Exception {
        Path standby = dir.resolve("archiving-standby");
        Installation.Run run = walden.walden("recover", "--config", walden.config.toString(), "--standby",
                "--archive-mode", "always", "--pgdata", standby.toString());
        try {
            assertEquals(0, run.exit(), run.toString());
            String conf = Files.readString(standby.resolve("postgresql.auto.conf"));
            assertTrue(conf.contains("archive_mode = 'always'"), conf);
            assertTrue(conf.contains("archive_command = '") && conf.contains("/walden-push\" --config "), conf);
            Matcher connect = CONNECT.matcher(run.stdout());
            assertTrue(connect.find(), run.stdout());
            String url = "jdbc:postgresql://127.0.0.1:" + connect.group(1) + "/postgres?user=postgres";
            // segments the standby receives by streaming are complete once the primary switches
            String last = Archiver.switchSegments(primary, 2).get(1);
            Archiver.awaitArchived(primary, last, Duration.ofSeconds(60));
            String archived = "";
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                while (System.nanoTime() < deadline) {
                    try (ResultSet rs = s.executeQuery("SELECT coalesce(last_archived_wal, '') || ' ' || failed_count "
                            + "FROM pg_stat_archiver")) {
                        rs.next();
                        archived = rs.getString(1);
                    }
                    if (archived.compareTo(last) >= 0) {
                        break;
                    }
                    Thread.sleep(200);
                }
            }
            assertEquals(last + " 0", archived, "the standby archived up to the primary's last segment, "
                    + "each acknowledged as the identical copy the primary stored");
        } finally {
            Installation.run(dir, Installation.pgBin().resolve("pg_ctl").toString(), "-D", standby.toString(),
                    "-m", "fast", "-w", "stop");
        }
    }

    @Test
    void standbyOptionsAreCheckedBeforeAnythingIsDone() throws Exception {
        Installation.Run withTarget = walden.walden("recover", "--config", walden.config.toString(), "--standby",
                "--immediate", "--pgdata", dir.resolve("no").toString());
        assertEquals(2, withTarget.exit(), withTarget.toString());
        assertTrue(withTarget.stderr().contains("--standby follows the primary"), withTarget.stderr());
        Installation.Run password = walden.walden("recover", "--config", walden.config.toString(), "--standby",
                "--primary-conninfo", "host=x password=secret", "--pgdata", dir.resolve("no").toString());
        assertEquals(2, password.exit(), password.toString());
        assertTrue(password.stderr().contains("must not hold a password") && !password.stderr().contains("secret"),
                password.stderr());
        Installation.Run slotless = walden.walden("recover", "--config", walden.config.toString(), "--create-slot",
                "--latest", "--pgdata", dir.resolve("no").toString());
        assertEquals(2, slotless.exit(), slotless.toString());
        Installation.Run mode = walden.walden("recover", "--config", walden.config.toString(), "--standby",
                "--archive-mode", "on", "--pgdata", dir.resolve("no").toString());
        assertEquals(2, mode.exit(), mode.toString());
        assertTrue(mode.stderr().contains("--archive-mode: 'on' is neither off nor always"), mode.stderr());
        assertTrue(!Files.exists(dir.resolve("no")));
    }
}
