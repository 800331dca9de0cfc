package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.postgres.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full backup and three incrementals across pgbench traffic, heavy UPDATEs, a VACUUM FULL (files
 * written anew), a table dropped and created again, a TRUNCATE, a growing relation and an unlogged
 * table; then a point-in-time recovery after the third incremental, row for row; a damaged block
 * in the middle incremental, which verify and recover name; and the expiry of the whole chain.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IncrementalBackupIT {
    private static final Pattern CONNECT = Pattern.compile("connect: psql \"postgresql://\\S+@localhost:(\\d+)/");
    private static final String[] TABLES = {"pgbench_accounts", "pgbench_history", "big", "vf", "gone", "trunc"};
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Installation walden;
    static LocalCluster cluster;
    static final List<String> labels = new ArrayList<>();
    /** Every table's rows, as of {@link #target}. */
    static Map<String, String> expected;
    static String target;

    @BeforeAll
    static void history() throws Exception {
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(clusterDir, Map.of("archive_timeout", "'1s'"));
        walden.connectTo(cluster);
        walden.init();
        walden.startAgent();
        cluster.start();
        pgbench("-i", "-s", "2", "-q");
        cluster.execute("CREATE TABLE big (id int PRIMARY KEY, v int, pad text)",
                "INSERT INTO big SELECT g, 0, repeat('x', 200) FROM generate_series(1, 40000) g",
                "CREATE TABLE vf (id int, pad text)",
                "INSERT INTO vf SELECT g, repeat('v', 300) FROM generate_series(1, 5000) g",
                "CREATE TABLE gone (id int, pad text)",
                "INSERT INTO gone SELECT g, repeat('g', 300) FROM generate_series(1, 3000) g",
                "CREATE TABLE trunc (id int, pad text)",
                "INSERT INTO trunc SELECT g, repeat('t', 300) FROM generate_series(1, 3000) g",
                "CREATE UNLOGGED TABLE scratch (id int, pad text)",
                "INSERT INTO scratch SELECT g, repeat('s', 300) FROM generate_series(1, 3000) g");
        backup("full");

        pgbench("-t", "300", "-c", "2");
        cluster.execute("UPDATE big SET v = v + 1 WHERE id % 7 = 0",
                "DELETE FROM vf WHERE id % 2 = 0", "VACUUM FULL vf");
        backup("incr");

        cluster.execute("DROP TABLE gone", "CREATE TABLE gone (id int, pad text)",
                "INSERT INTO gone SELECT g, repeat('G', 300) FROM generate_series(1, 2000) g",
                "TRUNCATE trunc", "INSERT INTO trunc VALUES (1, 'after the truncate')",
                "UPDATE big SET v = v + 10 WHERE id % 3 = 0", "INSERT INTO scratch VALUES (0, 'unlogged')");
        backup("incr");

        pgbench("-t", "200", "-c", "2");
        cluster.execute("INSERT INTO big SELECT g, 5, repeat('y', 200) FROM generate_series(40001, 60000) g",
                "UPDATE big SET v = -1 WHERE id = 12345");
        backup("incr");

        cluster.execute("UPDATE big SET v = v + 100 WHERE id % 5 = 0", "INSERT INTO gone VALUES (-1, 'before')");
        expected = contents(cluster.port());
        Thread.sleep(50);
        target = cluster.queryOne("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        Thread.sleep(50);
        cluster.execute("DELETE FROM big WHERE id > 100", "TRUNCATE pgbench_history", "DROP TABLE vf");
        List<String> last = Archiver.switchSegments(cluster, 1);
        Archiver.awaitArchived(cluster, last.get(0), Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        cluster.close();
        walden.close();
    }

    private static void pgbench(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(cluster.bin().resolve("pgbench").toString(), "-h",
                cluster.socketDirectory().toString(), "-p", Integer.toString(cluster.port()), "-U", "postgres"));
        command.addAll(List.of(args));
        command.add("postgres");
        Installation.Run run = Installation.run(dir, command.get(0), command.subList(1, command.size())
                .toArray(String[]::new));
        assertEquals(0, run.exit(), run.toString());
    }

    private static void backup(String type) throws Exception {
        Installation.Run run = walden.walden("backup", "--config", walden.config.toString(), "--type", type, "--json");
        assertEquals(0, run.exit(), run.toString());
        JsonNode backup = JSON.readTree(run.stdout());
        assertEquals(type, backup.get("type").asText(), run.stdout());
        if (type.equals("incr")) {
            assertEquals(labels.get(labels.size() - 1), backup.get("parent").asText(), "builds on the backup before");
        }
        labels.add(backup.get("label").asText());
    }

    /** Each table's row count and a digest of its rows in key order. */
    private static Map<String, String> contents(int port) throws Exception {
        Map<String, String> contents = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
             Statement s = c.createStatement()) {
            for (String table : TABLES) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, '|' "
                        + "ORDER BY t::text)), '-') FROM " + table + " t")) {
                    rs.next();
                    contents.put(table, rs.getString(1));
                }
            }
        }
        return contents;
    }

    private static JsonNode list() throws Exception {
        Installation.Run run = walden.walden("list", "--config", walden.config.toString(), "--json");
        assertEquals(0, run.exit(), run.toString());
        return JSON.readTree(run.stdout());
    }

    @Test
    @Order(1)
    void incrementalsStoreWhatChangedAndListShowsTheChain() throws Exception {
        JsonNode backups = list().get("backups");
        assertEquals(4, backups.size(), backups.toString());
        long fullStored = backups.get(0).get("stored_bytes").asLong();
        assertEquals("full", backups.get(0).get("type").asText());
        for (int i = 1; i < 4; i++) {
            JsonNode b = backups.get(i);
            assertEquals("incr", b.get("type").asText(), b.toString());
            assertEquals(labels.get(i - 1), b.get("parent").asText());
            assertTrue(b.get("usable").asBoolean(), b.toString());
            assertTrue(b.get("stored_bytes").asLong() < fullStored / 2, "incremental " + i + " stored "
                    + b.get("stored_bytes") + " bytes, the full " + fullStored);
            assertTrue(b.get("chain_bytes").asLong() > b.get("stored_bytes").asLong(), b.toString());
        }
        // the delta objects hold changed blocks only: pgbench_accounts' changes fit in a fraction of it
        Path repo = walden.repository;
        try (Stream<Path> deltas = Files.walk(repo.resolve("backups").resolve(labels.get(1)).resolve("delta"))) {
            assertTrue(deltas.anyMatch(Files::isRegularFile), "the first incremental stored no delta");
        }
        Installation.Run text = walden.walden("list", "--config", walden.config.toString());
        assertTrue(text.stdout().contains("incr usable"), text.stdout());
        assertTrue(text.stdout().contains("on " + labels.get(2) + ", chain "), text.stdout());
    }

    @Test
    @Order(2)
    void recoveryAfterTheThirdIncrementalHasExactlyTheRowsOfItsTarget() throws Exception {
        Path pgdata = dir.resolve("recovered");
        Installation.Run run = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString(), "--target-time", target);
        try {
            assertEquals(0, run.exit(), run.toString());
            assertTrue(run.stdout().contains(labels.get(3)), "recovers from the newest incremental: " + run.stdout());
            Matcher m = CONNECT.matcher(run.stdout());
            assertTrue(m.find(), run.stdout());
            assertEquals(expected, contents(Integer.parseInt(m.group(1))));
        } finally {
            Installation.stopImmediately(cluster.bin(), pgdata);
        }
    }

    @Test
    @Order(3)
    void aDeltaRecoveryRewritesOnlyWhatDiffersInTheCopyAndNeverTouchesProduction() throws Exception {
        Path pgdata = dir.resolve("recovered");
        Installation.Run run = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString(), "--target-time", target, "--delta");
        try {
            assertEquals(0, run.exit(), run.toString());
            Matcher kept = Pattern.compile("delta: (\\d+) of (\\d+) files").matcher(run.stdout());
            assertTrue(kept.find(), run.stdout());
            assertTrue(Integer.parseInt(kept.group(1)) > 0, "most files still matched: " + run.stdout());
            assertTrue(Integer.parseInt(kept.group(1)) < Integer.parseInt(kept.group(2)),
                    "the files the last recovery changed were written again: " + run.stdout());
            Matcher m = CONNECT.matcher(run.stdout());
            assertTrue(m.find(), run.stdout());
            assertEquals(expected, contents(Integer.parseInt(m.group(1))));

            Installation.Run running = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                    pgdata.toString(), "--target-time", target, "--delta");
            assertEquals(1, running.exit(), running.toString());
            assertTrue(running.stderr().contains("a PostgreSQL server is running in"), running.toString());
        } finally {
            Installation.stopImmediately(cluster.bin(), pgdata);
        }
        Installation.Run production = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                cluster.pgdata().toString(), "--latest", "--delta");
        assertEquals(1, production.exit(), production.toString());
        assertTrue(production.stderr().contains("is production's data directory"), production.toString());
    }

    @Test
    @Order(4)
    void aDamagedBlockInTheMiddleIncrementalIsNamedByVerifyAndRecover() throws Exception {
        Path delta;
        try (Stream<Path> files = Files.walk(walden.repository.resolve("backups").resolve(labels.get(2))
                .resolve("delta"))) {
            delta = files.filter(Files::isRegularFile).filter(p -> p.toString().contains("/base/"))
                    .max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        }
        byte[] original = Files.readAllBytes(delta);
        byte[] damaged = original.clone();
        damaged[damaged.length / 2] ^= 0x40;
        Files.write(delta, damaged);
        try {
            Installation.Run verify = walden.walden("verify", "--config", walden.config.toString());
            assertEquals(1, verify.exit(), verify.toString());
            String key = walden.repository.relativize(delta).toString();
            assertTrue(verify.stdout().contains(key), verify.toString());
            assertTrue(verify.stdout().contains(labels.get(2) + ", " + labels.get(3)),
                    "names both backups that need it: " + verify);

            Path pgdata = dir.resolve("recovered-damaged");
            Installation.Run recover = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                    pgdata.toString(), "--target-time", target);
            assertNotEquals(0, recover.exit(), recover.toString());
            assertTrue(recover.stderr().contains(key), recover.toString());
        } finally {
            Files.write(delta, original);
        }
        Installation.Run verify = walden.walden("verify", "--config", walden.config.toString());
        assertEquals(0, verify.exit(), verify.toString());
    }

    @Test
    @Order(5)
    void expiryKeepsAChainWholeAndRemovesIt() throws Exception {
        walden.environment(Map.of("WALDEN_RETENTION_BACKUP_COUNT", "1", "WALDEN_RETENTION_BACKUP_DAYS", "0"));
        Installation.Run keep = walden.walden("expire", "--config", walden.config.toString());
        assertEquals(0, keep.exit(), keep.toString());
        assertEquals(4, list().get("backups").size(), "the newest incremental needs all three before it: " + keep);

        backup("full");
        Installation.Run expire = walden.walden("expire", "--config", walden.config.toString());
        assertEquals(0, expire.exit(), expire.toString());
        JsonNode backups = list().get("backups");
        assertEquals(1, backups.size(), backups.toString());
        assertEquals(labels.get(4), backups.get(0).get("label").asText());
        for (int i = 0; i < 4; i++) {
            Path gone = walden.repository.resolve("backups").resolve(labels.get(i));
            if (Files.exists(gone)) { // posix storage leaves emptied directories
                try (Stream<Path> left = Files.walk(gone)) {
                    assertEquals(List.of(), left.filter(Files::isRegularFile).toList(),
                            labels.get(i) + " is gone with its chain");
                }
            }
        }
    }
}
