package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.postgres.LocalCluster;
import dev.walden.storage.ObjectInfo;
import dev.walden.storage.posix.PosixStorage;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Point-in-time recovery with walden recover, checked against a table whose rows record their
 * commit order: each recovery must bring back exactly the transactions up to its target and none
 * after.
 */
class PitrIT {
    private static final Pattern CONNECT = Pattern.compile("connect: psql \"postgresql://\\S+@localhost:(\\d+)/");

    @TempDir
    static Path dir;
    static Installation walden;
    static LocalCluster cluster;
    /** After each commit k: the moment right after it, the WAL position after it, its transaction id. */
    static final List<String> TIMES = new ArrayList<>();
    static final List<String> LSNS = new ArrayList<>();
    static final List<Long> XIDS = new ArrayList<>();
    static String beforeBackup;

    private final List<Path> started = new ArrayList<>();
    private Installation.Run lastRun;
    private int lastPort;

    @BeforeAll
    static void history() throws Exception {
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(clusterDir, Map.of("archive_timeout", "'1s'"));
        walden.connectTo(cluster);
        walden.init();
        walden.startAgent();
        cluster.start();
        cluster.execute("CREATE TABLE commits (id int PRIMARY KEY, at timestamptz NOT NULL)",
                "INSERT INTO commits VALUES (0, clock_timestamp())");
        beforeBackup = now();
        Thread.sleep(50);
        Installation.Run backup = walden.walden("backup", "--config", walden.config.toString());
        assertEquals(0, backup.exit(), backup.toString());
        try (Connection c = cluster.connect(); Statement s = c.createStatement()) {
            for (int k = 1; k <= 10; k++) {
                try (ResultSet rs = s.executeQuery("INSERT INTO commits VALUES (" + k + ", clock_timestamp()) "
                        + "RETURNING txid_current()")) {
                    rs.next();
                    XIDS.add(rs.getLong(1));
                }
                LSNS.add(query(s, "SELECT pg_current_wal_lsn()"));
                Thread.sleep(30);
                TIMES.add(now());
                Thread.sleep(30);
                if (k == 6) {
                    s.execute("SELECT pg_create_restore_point('after-6')");
                }
            }
        }
        List<String> last = Archiver.switchSegments(cluster, 1);
        Archiver.awaitArchived(cluster, last.get(0), Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        cluster.close();
        walden.close();
    }

    @AfterEach
    void stopRecovered() throws Exception {
        for (Path pgdata : started) {
            Installation.stopImmediately(cluster.bin(), pgdata);
        }
    }

    private static String now() throws Exception {
        return cluster.queryOne("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    }

    private static String query(Statement s, String sql) throws Exception {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Runs walden recover into a new directory; returns the port of the recovered server. */
    private int recover(String name, String... args) throws Exception {
        Path pgdata = dir.resolve("recovered-" + name);
        List<String> all = new ArrayList<>(List.of("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString()));
        all.addAll(List.of(args));
        Installation.Run run = walden.walden(all.toArray(String[]::new));
        started.add(pgdata);
        lastRun = run;
        assertEquals(0, run.exit(), run.toString());
        Matcher m = CONNECT.matcher(run.stdout());
        assertTrue(m.find(), run.stdout());
        lastPort = Integer.parseInt(m.group(1));
        return lastPort;
    }

    private static String rows(int port) throws Exception {
        return rows(port, "postgres");
    }

    private static String rows(int port, String database) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port
                + "/" + database + "?user=postgres"); Statement s = c.createStatement()) {
            return query(s, "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM commits WHERE id > 0");
        }
    }

    private static String upTo(int k) {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= k; i++) {
            ids.add(Integer.toString(i));
        }
        return String.join(",", ids);
    }

    @Test
    void toATimeBringsBackExactlyTheTransactionsCommittedBeforeIt() throws Exception {
        assertEquals(upTo(4), rows(recover("time", "--target-time", TIMES.get(3))));
        // promoted, the copy never reads its staged WAL again: it goes; the socket lives in the data directory
        assertFalse(Files.exists(dir.resolve("recovered-time.wal")), "staged WAL removed");
        assertTrue(Files.exists(dir.resolve("recovered-time/.s.PGSQL." + lastPort)), "socket in the data directory");
        assertTrue(Files.exists(dir.resolve("recovered-time.log")), "the log stays");
    }

    @Test
    void keepStagedKeepsTheStagedWal() throws Exception {
        recover("kept", "--target-time", TIMES.get(3), "--keep-staged");
        assertTrue(lastRun.stdout().contains("staged WAL kept in " + dir.resolve("recovered-kept.wal")
                + " (--keep-staged)"), lastRun.stdout());
        try (Stream<Path> staged = Files.list(dir.resolve("recovered-kept.wal"))) {
            assertTrue(staged.anyMatch(p -> p.getFileName().toString().matches("[0-9A-F]{24}")));
        }
    }

    /**
     * The segment archived first after the target can hold nothing after it (switched before the
     * target, archived after): the first commit after the target then sits in a later segment,
     * which recovery must still get, here three segments later, beyond what walden staged.
     */
    @Test
    void toATimeWhoseFirstLaterCommitIsSegmentsAfterTheFirstOneArchivedAfterIt() throws Exception {
        cluster.execute("CREATE TABLE late (id int PRIMARY KEY)");
        cluster.execute("INSERT INTO late VALUES (1)");
        Thread.sleep(30);
        String target = now();
        Thread.sleep(30);
        for (int i = 0; i < 3; i++) {
            cluster.execute("CHECKPOINT"); // WAL without a commit
            cluster.execute("SELECT pg_switch_wal()");
        }
        cluster.execute("INSERT INTO late VALUES (2)");
        String withCommit2 = cluster.queryOne("SELECT pg_walfile_name(pg_switch_wal())");
        Archiver.awaitArchived(cluster, withCommit2, Duration.ofSeconds(60));

        Path pgdata = dir.resolve("recovered-late");
        Installation.Run run = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString(), "--target-time", target);
        started.add(pgdata);
        assertEquals(0, run.exit(), run.toString());
        Matcher staged = Pattern.compile("WAL file\\(s\\) \\w{24} \\.\\. (\\w{24})").matcher(run.stdout());
        assertTrue(staged.find(), run.stdout());
        assertTrue(staged.group(1).compareTo(withCommit2) < 0, "the commit after the target was not staged: "
                + run.stdout());
        Matcher m = CONNECT.matcher(run.stdout());
        assertTrue(m.find(), run.stdout());
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + m.group(1)
                + "/postgres?user=postgres"); Statement s = c.createStatement()) {
            assertEquals("1", query(s, "SELECT string_agg(id::text, ',' ORDER BY id) FROM late"));
        }
    }

    @Test
    void toAnLsn() throws Exception {
        assertEquals(upTo(7), rows(recover("lsn", "--target-lsn", LSNS.get(6))));
    }

    @Test
    void toATransactionIncludingOrExcludingIt() throws Exception {
        assertEquals(upTo(5), rows(recover("xid", "--target-xid", Long.toString(XIDS.get(4)))));
        assertEquals(upTo(4), rows(recover("xid-exclusive", "--target-xid", Long.toString(XIDS.get(4)),
                "--target-exclusive")));
    }

    @Test
    void toARestorePoint() throws Exception {
        assertEquals(upTo(6), rows(recover("name", "--target-name", "after-6")));
    }

    @Test
    void toTheEndOfTheBackupAndToTheEndOfTheArchive() throws Exception {
        assertEquals("", rows(recover("immediate", "--immediate")), "nothing committed after the backup");
        int port = recover("latest", "--latest");
        assertEquals(upTo(10), rows(port));

        // the recovered cluster can't reach the production repository, even when it writes WAL; and it keeps
        // what it writes, for the day it becomes production
        String completed;
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port
                + "/postgres?user=postgres"); Statement s = c.createStatement()) {
            assertEquals("on", query(s, "SHOW archive_mode"));
            assertEquals("", query(s, "SHOW archive_command"));
            s.execute("ALTER SYSTEM SET wal_keep_size = 0"); // nothing kept for replicas: only .ready keeps WAL
            s.execute("SELECT pg_reload_conf()");
            s.execute("CREATE TABLE written_after_recovery AS SELECT generate_series(1, 10000) AS g");
            completed = query(s, "SELECT pg_walfile_name(pg_switch_wal())");
            s.execute("CHECKPOINT");
            s.execute("CHECKPOINT");
        }
        Thread.sleep(2000);
        List<ObjectInfo> newTimeline = new PosixStorage(walden.repository).list("wal/00000002");
        assertEquals(List.of(), newTimeline, "nothing of the recovered cluster's timeline 2 in production's repository");
        Path status = dir.resolve("recovered-latest/pg_wal/archive_status");
        assertTrue(Files.exists(status.resolve("00000002.history.ready")), "the history file waits to be archived");
        assertTrue(Files.exists(status.resolve(completed + ".ready")), completed + " waits to be archived");
        assertTrue(Files.exists(dir.resolve("recovered-latest/pg_wal/" + completed)),
                completed + " is kept through checkpoints");
    }

    @Test
    void pauseAndShutdownAtTheTarget() throws Exception {
        int port = recover("pause", "--target-time", TIMES.get(1), "--action", "pause");
        assertEquals(upTo(2), rows(port));
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port
                + "/postgres?user=postgres"); Statement s = c.createStatement()) {
            assertEquals("t", query(s, "SELECT pg_is_in_recovery()"));
            assertEquals("paused", query(s, "SELECT pg_get_wal_replay_pause_state()"));
            // the report says what the paused server itself says it replayed
            assertTrue(lastRun.stdout().contains("last WAL replayed: " + query(s, "SELECT pg_last_wal_replay_lsn()")
                    + "\n"), lastRun.stdout());
            assertTrue(lastRun.stdout().contains("last transaction replayed: committed at "
                    + query(s, "SELECT pg_last_xact_replay_timestamp()::text") + "\n"), lastRun.stdout());
        }
        // paused, it still runs restore_command when promoted (it looks for history files): its WAL stays
        assertTrue(Files.isExecutable(dir.resolve("recovered-pause.wal/restore-wal.sh")));
        assertTrue(lastRun.stdout().contains("staged WAL kept in " + dir.resolve("recovered-pause.wal")
                + ": the server reads it until it is promoted"), lastRun.stdout());
        Path pgdata = dir.resolve("recovered-shutdown");
        Installation.Run run = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString(), "--target-time", TIMES.get(1), "--action", "shutdown");
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.stdout().contains("state: shut down at the target"), run.stdout());
        assertFalse(run.stdout().contains("last WAL replayed"), "nobody to ask: " + run.stdout());
        assertFalse(Files.exists(pgdata.resolve("postmaster.pid")));
        assertTrue(Files.exists(dir.resolve("recovered-shutdown.wal/restore-wal.sh")), "started again, it replays");
    }

    @Test
    void targetsOutsideTheArchiveAreRefusedBeforeAnythingIsWritten() throws Exception {
        Installation.Run early = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                dir.resolve("too-early").toString(), "--target-time", beforeBackup);
        assertEquals(1, early.exit(), early.toString());
        assertTrue(early.stderr().contains("is before the end of the oldest usable backup"), early.stderr());
        assertFalse(Files.exists(dir.resolve("too-early")), "nothing written");

        Installation.Run late = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                dir.resolve("too-late").toString(), "--target-time", "2099-01-01T00:00:00Z");
        assertEquals(1, late.exit(), late.toString());
        assertTrue(late.stderr().contains("is after the newest archived WAL"), late.stderr());

        Installation.Run timeline = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                dir.resolve("no-timeline").toString(), "--latest", "--target-timeline", "7");
        assertEquals(1, timeline.exit(), timeline.toString());
        assertTrue(timeline.stderr().contains("timeline 7 is not in the archive (no 00000007.history)"),
                timeline.stderr());

        Installation.Run production = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                cluster.pgdata().toString(), "--latest");
        assertEquals(1, production.exit(), production.toString());
        assertTrue(production.stderr().contains("is production's data directory"), production.stderr());
        Path notEmpty = Files.createDirectories(dir.resolve("not-empty"));
        Files.writeString(notEmpty.resolve("notes.txt"), "mine");
        Installation.Run occupied = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                notEmpty.toString(), "--latest");
        assertEquals(1, occupied.exit(), occupied.toString());
        assertTrue(occupied.stderr().contains("is not empty"), occupied.stderr());
    }

    @Test
    void portsThatCantBeTheCopysAreRefusedBeforeAnythingIsRestored() throws Exception {
        Path pgdata = dir.resolve("port-refused");
        // production's port, as walden reaches it (DB_PORT in the .env)
        Installation.Run production = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString(), "--latest", "--port", Integer.toString(cluster.port()));
        assertEquals(1, production.exit(), production.toString());
        assertTrue(production.stderr().contains("port " + cluster.port() + " is production's (DB_PORT"),
                production.stderr());
        // production's port as its postmaster.pid has it, when the connection settings say another
        Path elsewhere = Files.createDirectories(dir.resolve("conf-elsewhere"));
        Path config = elsewhere.resolve("walden.conf");
        Files.copy(walden.config, config);
        Files.writeString(elsewhere.resolve(".env"), "DB_HOST=db.example.com\nDB_PORT=6543\n");
        Installation.Run pidFile = walden.walden("recover", "--config", config.toString(), "--pgdata",
                pgdata.toString(), "--latest", "--port", Integer.toString(cluster.port()));
        assertEquals(1, pidFile.exit(), pidFile.toString());
        assertTrue(pidFile.stderr().contains("port " + cluster.port() + " is production's (in '"
                + cluster.pgdata().resolve("postmaster.pid") + "')"), pidFile.stderr());
        // a port something else listens on
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            Installation.Run inUse = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                    pgdata.toString(), "--latest", "--port", Integer.toString(taken.getLocalPort()));
            assertEquals(1, inUse.exit(), inUse.toString());
            assertTrue(inUse.stderr().contains("port " + taken.getLocalPort() + " is in use on this host"),
                    inUse.stderr());
        }
        // not a port at all: a usage error, before the configuration is read
        Installation.Run negative = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString(), "--latest", "--port", "-5");
        assertEquals(2, negative.exit(), negative.toString());
        assertEquals("walden recover: --port: '-5' is not a port number (1-65535) (see 'walden recover --help')\n",
                negative.stderr());
        assertFalse(Files.exists(pgdata), "nothing restored");
        assertFalse(Files.exists(dir.resolve("port-refused.wal")), "nothing staged");
        Installation.Run audit = walden.walden("audit", "--config", walden.config.toString(), "--since", "1h");
        assertTrue(audit.stdout().lines().anyMatch(l -> l.contains("recover refused " + pgdata)
                && l.contains("is in use on this host")), "a refusal is audited: " + audit.stdout());
    }

    @Test
    void aCorruptBackupFileIsNamedAndNothingHalfRestoredStays() throws Exception {
        Path copy = dir.resolve("repo-corrupt-backup");
        Installation.run(dir, "cp", "-a", walden.repository.toString(), copy.toString());
        var manifest = HandRestore.newest(copy);
        // the largest file of base/: its object is compressed, so the flip breaks the zstd frame
        var file = manifest.files().stream().filter(f -> f.path().startsWith("base/"))
                .max(java.util.Comparator.comparingLong(f -> f.size())).orElseThrow();
        Path object = copy.resolve(file.key());
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(object, bytes);
        Path config = dir.resolve("corrupt-backup.conf");
        Files.writeString(config, Files.readString(walden.config).replace(walden.repository.toString(),
                copy.toString()));
        Path given = Files.createDirectories(dir.resolve("given-empty")); // a mount point, say: it must stay
        for (Path pgdata : List.of(dir.resolve("half"), given)) {
            Installation.Run run = walden.walden("recover", "--config", config.toString(), "--pgdata",
                    pgdata.toString(), "--latest");
            assertEquals(1, run.exit(), run.toString());
            assertTrue(run.stderr().contains("walden recover: file '" + file.path() + "' of backup " + manifest.label()
                    + " (object '" + file.key() + "' in posix:"), run.stderr());
            assertTrue(run.stderr().contains("is corrupt"), run.stderr());
            assertTrue(run.stdout().contains("removed what this recovery had made: " + pgdata), run.stdout());
            try (Stream<Path> left = Files.list(dir)) {
                assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(
                        pgdata.getFileName() + ".")).toList(), "nothing next to it either");
            }
        }
        assertFalse(Files.exists(dir.resolve("half")), "the directory walden made is gone");
        try (Stream<Path> left = Files.list(given)) {
            assertEquals(List.of(), left.toList(), "the directory it was given is empty again, and still there");
        }
    }

    @Test
    void oneDatabaseAtATimeIntoANewDatabaseOnProduction() throws Exception {
        Path pgdata = dir.resolve("into");
        Installation.Run run = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString(), "--target-time", TIMES.get(2), "--into-database", "commits_at_3");
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.stdout().contains("copied database 'postgres' as of time "), run.stdout());
        assertTrue(run.stdout().contains("connect: psql \"postgresql://postgres@localhost:" + cluster.port()
                + "/commits_at_3?host="), run.stdout());
        assertEquals(upTo(3), rows(cluster.port(), "commits_at_3"), "on production, as of the target");
        assertEquals(upTo(10), rows(cluster.port(), "postgres"), "production's own rows untouched");
        assertFalse(Files.exists(pgdata), "the recovered cluster is removed");
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith("into")).toList());
        }

        Installation.Run exists = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString(), "--target-time", TIMES.get(5), "--into-database", "commits_at_3");
        assertEquals(1, exists.exit(), exists.toString());
        assertTrue(exists.stderr().contains("database 'commits_at_3' already exists"), exists.stderr());
        assertTrue(exists.stderr().contains("choose another name (--into-database) or replace it (-D)"),
                "recover has no -d: " + exists.stderr());
        assertFalse(Files.exists(pgdata), "refused before recovering anything");
        Installation.Run replaced = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString(), "--target-time", TIMES.get(5), "--into-database", "commits_at_3", "-D", "-f");
        assertEquals(0, replaced.exit(), replaced.toString());
        assertEquals(upTo(6), rows(cluster.port(), "commits_at_3"));

        Installation.Run source = walden.walden("recover", "--config", walden.config.toString(), "--latest",
                "--into-database", "postgres", "-D", "-f");
        assertEquals(1, source.exit(), source.toString());
        assertTrue(source.stderr().contains("'postgres' is the database being recovered; walden never overwrites it"),
                source.stderr());
    }

    @Test
    void aMissingWalFileIsNamed() throws Exception {
        // a copy of the repository with one needed segment gone
        Path copy = dir.resolve("repo-copy");
        Installation.run(dir, "cp", "-a", walden.repository.toString(), copy.toString());
        String missing = HandRestore.newest(walden.repository).stopWal(); // needed to become consistent
        try (Stream<Path> files = Files.walk(copy.resolve("wal"))) {
            Path victim = files.filter(p -> p.getFileName().toString().startsWith(missing + "-")).findFirst()
                    .orElseThrow();
            Files.delete(victim);
        }
        Path config = dir.resolve("copy.conf");
        Files.writeString(config, Files.readString(walden.config).replace(walden.repository.toString(),
                copy.toString()));
        Installation.Run run = walden.walden("recover", "--config", config.toString(), "--pgdata",
                dir.resolve("gap").toString(), "--latest");
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.stderr().contains("WAL file " + missing + " is missing from the repository"), run.stderr());
    }

    @Test
    void verifyFindsADeletedWalFileAndAFlippedByte() throws Exception {
        Installation.Run healthy = walden.walden("verify", "--config", walden.config.toString());
        assertEquals(0, healthy.exit(), healthy.toString());
        assertTrue(healthy.stdout().contains("healthy"), healthy.stdout());

        // archived WAL beyond the segment we delete, so that its loss is a gap and not the archive's end
        List<String> later = Archiver.switchSegments(cluster, 2);
        Archiver.awaitArchived(cluster, later.get(1), Duration.ofSeconds(60));
        Path copy = dir.resolve("repo-damaged");
        Installation.run(dir, "cp", "-a", walden.repository.toString(), copy.toString());
        var manifest = HandRestore.newest(copy);
        // a segment after the backup goes missing, and a byte of one backup file flips
        String lost = WalNames.next(manifest.stopWal());
        try (Stream<Path> files = Files.walk(copy.resolve("wal"))) {
            Files.delete(files.filter(p -> p.getFileName().toString().startsWith(lost + "-")).findFirst().orElseThrow());
        }
        var file = manifest.files().stream().filter(f -> f.path().startsWith("base/")).findFirst().orElseThrow();
        Path object = copy.resolve(file.key());
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(object, bytes);
        Path config = dir.resolve("damaged.conf");
        Files.writeString(config, Files.readString(walden.config).replace(walden.repository.toString(),
                copy.toString()));
        Installation.Run damaged = walden.walden("verify", "--config", config.toString());
        assertEquals(1, damaged.exit(), damaged.toString());
        assertTrue(damaged.stdout().contains("GAP: 1 WAL file(s) missing on timeline 1 between"), damaged.stdout());
        assertTrue(damaged.stdout().contains("CORRUPT: backup " + manifest.label() + ": object '" + file.key()), damaged.stdout());
        Installation.Run json = walden.walden("verify", "--config", config.toString(), "--json");
        assertEquals(1, json.exit());
        assertTrue(json.stdout().contains("\"healthy\" : false"), json.stdout());
    }
}
