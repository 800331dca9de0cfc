package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.postgres.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery across a timeline switch, as it happens after a real disaster: production dies, the
 * operator recovers it with walden (timeline 2), makes the recovered cluster the new production
 * archiving into the same repository (after it already wrote and checkpointed WAL), and later
 * recovers again to a moment on timeline 2, through the WAL written before archiving was set up.
 */
class TimelineIT {
    private static final Pattern CONNECT = Pattern.compile("connect: psql \"postgresql://\\S+@localhost:(\\d+)/");

    @TempDir
    Path dir;
    private final List<Path> started = new ArrayList<>();
    private LocalCluster original;
    private Installation first;
    private Installation second;

    @AfterEach
    void stop() throws Exception {
        for (Path pgdata : started) {
            Installation.stopImmediately(Installation.pgBin(), pgdata);
        }
        if (second != null) {
            second.close();
        }
        if (original != null) {
            original.close();
        }
        if (first != null) {
            first.close();
        }
    }

    @Test
    void recoverPromoteArchiveOnTheNewTimelineAndRecoverAgainOnIt() throws Exception {
        Path one = Files.createDirectories(dir.resolve("one"));
        first = new Installation(one, one.resolve("pg/data"));
        original = first.initCluster(one.resolve("pg"), Map.of());
        first.connectTo(original);
        first.init();
        first.startAgent();
        original.start();
        original.execute("CREATE TABLE commits (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())");
        assertEquals(0, first.walden("backup", "--config", first.config.toString()).exit());
        original.execute("INSERT INTO commits (id) VALUES (1)", "INSERT INTO commits (id) VALUES (2)",
                "INSERT INTO commits (id) VALUES (3)");
        List<String> last = Archiver.switchSegments(original, 1);
        Archiver.awaitArchived(original, last.get(0), Duration.ofSeconds(60));
        // the disaster: production and its agent are gone
        original.close();
        first.stopAgent();

        // recover everything archived; the recovered cluster is promoted onto timeline 2
        Path newPrimary = dir.resolve("new-primary");
        int port = recover(first, newPrimary, "--latest");
        assertEquals("1,2,3", rows(port));
        assertEquals("00000002", timeline(port));

        // it serves before anyone sets archiving up: WAL it completes and checkpoints past must still reach
        // the repository later, or recovery on timeline 2 would stop at a gap
        execute(port, "ALTER SYSTEM SET wal_keep_size = 0", "SELECT pg_reload_conf()"); // nothing kept for replicas
        execute(port, "INSERT INTO commits (id) VALUES (4)");
        String beforeArchiving = query(port, "SELECT pg_walfile_name(pg_switch_wal())");
        assertTrue(beforeArchiving.startsWith("00000002"), beforeArchiving);
        execute(port, "CHECKPOINT", "CHECKPOINT");

        // it becomes production, as docs/recovery.md says: an agent of its own on the same repository,
        // archive_command set and the configuration reloaded; no restart, nothing pushed by hand
        Path two = Files.createDirectories(dir.resolve("two"));
        second = new Installation(two, newPrimary);
        Files.writeString(second.config, Files.readString(second.config).replace(second.repository.toString(),
                first.repository.toString()));
        Files.writeString(two.resolve(".env"), "DB_HOST=127.0.0.1\nDB_PORT=" + port + "\nDB_USER=postgres\n"
                + "DB_NAME=postgres\n");
        second.startAgent();
        execute(port, "ALTER SYSTEM SET archive_command = " + second.archiveCommand(), "SELECT pg_reload_conf()");
        awaitArchived(port, beforeArchiving);

        execute(port, "INSERT INTO commits (id) VALUES (5)");
        String onTimelineTwo = query(port, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        Thread.sleep(50);
        execute(port, "INSERT INTO commits (id) VALUES (6)");
        String segment = query(port, "SELECT pg_walfile_name(pg_switch_wal())");
        assertTrue(segment.startsWith("00000002"), segment);
        awaitArchived(port, segment);

        // recover again, to a moment on timeline 2, from the backup taken on timeline 1
        Installation.Run list = second.walden("list", "--config", second.config.toString());
        assertTrue(list.stdout().contains("timeline 2"), list.stdout());
        int again = recover(second, dir.resolve("again"), "--target-time", onTimelineTwo);
        assertEquals("1,2,3,4,5", rows(again));
        assertEquals("00000003", timeline(again));
        // and the old timeline is still there to choose
        int old = recover(second, dir.resolve("old-timeline"), "--latest", "--target-timeline", "1");
        assertEquals("1,2,3", rows(old));

        Installation.Run verify = second.walden("verify", "--config", second.config.toString());
        assertEquals(0, verify.exit(), verify.toString());
    }

    private int recover(Installation walden, Path pgdata, String... target) throws Exception {
        List<String> args = new ArrayList<>(List.of("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString()));
        args.addAll(List.of(target));
        Installation.Run run = walden.walden(args.toArray(String[]::new));
        started.add(pgdata);
        assertEquals(0, run.exit(), run.toString());
        Matcher m = CONNECT.matcher(run.stdout());
        assertTrue(m.find(), run.stdout());
        return Integer.parseInt(m.group(1));
    }

    private static Connection connect(int port) throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
    }

    private static void execute(int port, String... statements) throws Exception {
        try (Connection c = connect(port); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    private static String query(int port, String sql) throws Exception {
        try (Connection c = connect(port); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The timeline WAL is written on now, as its WAL file names spell it. */
    private static String timeline(int port) throws Exception {
        return query(port, "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)");
    }

    private static String rows(int port) throws Exception {
        return query(port, "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM commits");
    }

    private static void awaitArchived(int port, String segment) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (query(port, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver").compareTo(segment) < 0) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the new primary did not archive " + segment + ": "
                        + query(port, "SELECT failed_count || ' failures, last ' || coalesce(last_failed_wal, '-') "
                        + "FROM pg_stat_archiver"));
            }
            Thread.sleep(100);
        }
    }
}
