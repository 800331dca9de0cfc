package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.postgres.LocalCluster;
import dev.walden.protocol.AgentClient;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.StatusReply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * WAL streaming (agent.stream = on) against a real PostgreSQL 15 on a quiet server
 * (archive_timeout = 0, so the segment being written is never archived): a commit made seconds
 * before production crashes is recovered by walden recover --latest from the streamed .partial;
 * in synchronous mode every commit that returned is; a streamed segment matches the archived
 * one; a dropped connection and an agent restart resume from the slot without a hole; an
 * invalidated slot is reported and made again.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StreamingIT {
    private static final Pattern CONNECT = Pattern.compile("connect: psql \"postgresql://\\S+@localhost:(\\d+)/");
    private static final Pattern LISTENING = Pattern.compile("HTTP endpoint on 127\\.0\\.0\\.1:(\\d+)");
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static Installation walden;
    static LocalCluster cluster;
    private final List<Path> recovered = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void streamingAgent() throws Exception {
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(clusterDir, Map.of("archive_timeout", "0"));
        walden.connectTo(cluster);
        walden.configure("agent.stream = on", "agent.stream.flush = 500ms");
        walden.init();
        walden.startAgent();
        cluster.start();
        cluster.execute("CREATE TABLE commits (id int PRIMARY KEY)");
        Installation.Run backup = walden.walden("backup", "--config", walden.config.toString());
        assertEquals(0, backup.exit(), backup.toString());
        awaitStatus("streaming", s -> "streaming".equals(s.get("stream")));
    }

    @AfterAll
    static void stop() throws Exception {
        cluster.close();
        walden.close();
    }

    @AfterEach
    void stopRecovered() throws Exception {
        for (Path pgdata : recovered) {
            Installation.stopImmediately(cluster.bin(), pgdata);
        }
    }

    @Test
    @Order(1)
    void aStreamedSegmentEqualsTheArchivedOne() throws Exception {
        List<String> finished = Archiver.switchSegments(cluster, 3);
        Archiver.awaitArchived(cluster, finished.get(2), WAIT);
        Map<String, String> status = awaitStatus("three segments compared",
                s -> Long.parseLong(s.get("stream_compared_segments")) >= 3);
        assertEquals("0", status.get("stream_mismatched_segments"), status.toString());
        // the archived copy serves: no streamed object of an archived segment stays
        awaitTrue("streamed copies of archived segments deleted", () -> streamedObjects().stream()
                .noneMatch(name -> finished.stream().anyMatch(name::startsWith)));
    }

    @Test
    @Order(2)
    void aDroppedConnectionAndAnAgentRestartLeaveNoHoleAndACommitBeforeACrashIsRecovered() throws Exception {
        cluster.execute("INSERT INTO commits VALUES (1)");
        cluster.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = 'walden'");
        cluster.execute("INSERT INTO commits VALUES (2)");
        long written = lsn(cluster.queryOne("SELECT pg_current_wal_lsn()::text"));
        awaitStatus("streaming again", s -> "streaming".equals(s.get("stream")) && s.containsKey("stream_stored_lsn")
                && lsn(s.get("stream_stored_lsn")) >= written);
        assertEquals(0, walden.stopAgent());
        cluster.execute("INSERT INTO commits VALUES (3)");
        walden.startAgent();
        awaitStatus("streaming after the restart", s -> "streaming".equals(s.get("stream")));
        cluster.execute("INSERT INTO commits VALUES (4)");
        Thread.sleep(2_500); // the asynchronous promise: committed at least 2 s before the crash
        crashAndRestartProduction();

        Installation.Run list = walden.walden("list", "--config", walden.config.toString());
        assertEquals(0, list.exit(), list.toString());
        assertTrue(Pattern.compile("Recoverable: from .* \\(streamed to [0-9A-F]+/[0-9A-F]+ in [0-9A-F]{24}, \\d+ s ago\\)")
                .matcher(list.stdout()).find(), list.stdout());

        Installation.Run run = recover("async");
        assertTrue(run.stdout().contains("using streamed WAL past the archive: "), run.stdout());
        assertEquals("1,2,3,4", rows(run));
    }

    @Test
    @Order(3)
    void inSynchronousModeEveryCommitThatReturnedIsRecovered() throws Exception {
        assertEquals(0, walden.stopAgent());
        walden.environment(Map.of("WALDEN_AGENT_STREAM_SYNCHRONOUS", "on"));
        walden.startAgent();
        cluster.execute("ALTER SYSTEM SET synchronous_standby_names = 'walden'", "SELECT pg_reload_conf()");
        awaitTrue("walden is the synchronous standby", () -> "sync".equals(
                cluster.queryOne("SELECT coalesce(max(sync_state), '') FROM pg_stat_replication")));
        try (Connection c = cluster.connect(); Statement s = c.createStatement()) {
            for (int k = 10; k < 30; k++) {
                s.execute("INSERT INTO commits VALUES (" + k + ")");
            }
        }
        crashAndRestartProduction(); // right after the last COMMIT returned
        cluster.execute("ALTER SYSTEM RESET synchronous_standby_names", "SELECT pg_reload_conf()");

        Installation.Run run = recover("sync");
        String expected = "1,2,3,4," + String.join(",", java.util.stream.IntStream.range(10, 30)
                .mapToObj(Integer::toString).toList());
        assertEquals(expected, rows(run));
        assertEquals(0, walden.stopAgent());
        walden.environment(Map.of("WALDEN_AGENT_STREAM_SYNCHRONOUS", "off"));
        walden.startAgent();
    }

    @Test
    @Order(4)
    void anInvalidatedSlotIsReportedAndMadeAgain() throws Exception {
        String slot = awaitStatus("streaming", s -> "streaming".equals(s.get("stream"))).get("stream_slot");
        cluster.execute("ALTER SYSTEM SET wal_keep_size = 0", "ALTER SYSTEM SET max_slot_wal_keep_size = '32MB'",
                "SELECT pg_reload_conf()");
        assertEquals(0, walden.stopAgent()); // nobody streams: the slot falls behind
        Archiver.switchSegments(cluster, 5);
        cluster.execute("CHECKPOINT");
        assertEquals("lost", cluster.queryOne("SELECT wal_status FROM pg_replication_slots WHERE slot_name = '"
                + slot + "'"), "PostgreSQL invalidated the slot (the test's premise)");
        walden.startAgent();
        Map<String, String> status = awaitStatus("streaming through a new slot", s -> "streaming".equals(s.get("stream")));
        assertEquals("1", status.get("stream_slot_invalidations"), status.toString());
        assertTrue(walden.agentLog().contains("replication slot " + slot + " was invalidated by PostgreSQL"),
                walden.agentLog());
        assertEquals("reserved", cluster.queryOne("SELECT wal_status FROM pg_replication_slots WHERE slot_name = '"
                + slot + "'"));
        int port = httpPort();
        HttpResponse<String> health = null;
        for (long deadline = System.nanoTime() + WAIT.toNanos(); System.nanoTime() < deadline; Thread.sleep(200)) {
            health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (health.statusCode() == 200) {
                break; // the first probes run after the agent starts
            }
        }
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(health.body().startsWith("ok; warning: replication slot " + slot + " was invalidated"),
                health.body());
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String line : List.of("walden_stream_connected 1.0", "walden_stream_slot_invalidations_total 1.0")) {
            assertTrue(metrics.lines().anyMatch(line::equals), line + " in\n" + metrics);
        }
        for (String name : List.of("walden_stream_lag_bytes ", "walden_stream_lag_seconds ",
                "walden_stream_slot_retained_bytes ")) {
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith(name)), name + "in\n" + metrics);
        }
        cluster.execute("ALTER SYSTEM RESET wal_keep_size", "ALTER SYSTEM RESET max_slot_wal_keep_size",
                "SELECT pg_reload_conf()");
    }

    @Test
    @Order(5)
    void verifyChecksStreamedObjectsAndReportsACorruptOne() throws Exception {
        cluster.execute("INSERT INTO commits VALUES (100)");
        awaitTrue("a streamed object", () -> !streamedObjects().isEmpty());
        assertEquals(0, walden.stopAgent()); // nothing rewrites the object while it is damaged
        try {
            Installation.Run clean = walden.walden("verify", "--config", walden.config.toString());
            assertEquals(0, clean.exit(), clean.toString());
            Path object;
            try (Stream<Path> files = Files.walk(walden.repository.resolve("stream"))) {
                object = files.filter(p -> p.getFileName().toString().contains(".partial")).findFirst().orElseThrow();
            }
            byte[] original = Files.readAllBytes(object);
            byte[] damaged = original.clone();
            damaged[damaged.length / 2] ^= 0x5a;
            Files.write(object, damaged);
            Installation.Run bad = walden.walden("verify", "--config", walden.config.toString());
            assertEquals(1, bad.exit(), bad.toString());
            assertTrue(bad.stdout().contains("streamed object 'stream/"), bad.stdout());
            Files.write(object, original);
        } finally {
            walden.startAgent();
        }
    }

    @Test
    @Order(6)
    void dropSlotIsRefusedWhileStreamingAndDropsItOnceStopped() throws Exception {
        String slot = awaitStatus("streaming", s -> "streaming".equals(s.get("stream"))).get("stream_slot");
        Installation.Run refused = walden.walden("agent", "--config", walden.config.toString(), "--drop-slot");
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(refused.stderr().contains("replication slot " + slot + " is in use by process"), refused.toString());
        assertEquals(0, walden.stopAgent());
        Installation.Run dropped = walden.walden("agent", "--config", walden.config.toString(), "--drop-slot");
        assertEquals(0, dropped.exit(), dropped.toString());
        assertEquals("0", cluster.queryOne("SELECT count(*) FROM pg_replication_slots"));
        walden.startAgent();
    }

    @Test
    @Order(7)
    void checkReportsTheStream() throws Exception {
        String slot = awaitStatus("streaming", s -> "streaming".equals(s.get("stream"))).get("stream_slot");
        awaitTrue("the slot is active", () -> !"0".equals(cluster.queryOne(
                "SELECT coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = '" + slot + "'")));
        Installation.Run check = walden.walden("check", "--config", walden.config.toString());
        assertEquals(0, check.exit(), check.toString());
        assertTrue(check.stdout().contains("ok    replication connection as postgres (timeline "), check.stdout());
        assertTrue(check.stdout().contains("ok    streaming through slot " + slot + ": "), check.stdout());
        assertTrue(check.stdout().contains("WARN  max_slot_wal_keep_size = -1"), check.stdout());
    }

    private static void crashAndRestartProduction() throws Exception {
        Installation.Run crash = Installation.stopImmediately(cluster.bin(), cluster.pgdata());
        assertEquals(0, crash.exit(), crash.toString());
        cluster.start();
    }

    private Installation.Run recover(String name) throws Exception {
        Path pgdata = dir.resolve("recovered-" + name);
        Installation.Run run = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString(), "--latest");
        recovered.add(pgdata);
        assertEquals(0, run.exit(), run.toString());
        return run;
    }

    private static String rows(Installation.Run run) throws Exception {
        Matcher m = CONNECT.matcher(run.stdout());
        assertTrue(m.find(), run.stdout());
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + m.group(1)
                + "/postgres?user=postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM commits")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long lsn(String text) {
        String[] parts = text.split("/");
        return (Long.parseLong(parts[0], 16) << 32) | Long.parseLong(parts[1], 16);
    }

    private static List<String> streamedObjects() throws Exception {
        Path root = walden.repository.resolve("stream");
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".")).toList();
        }
    }

    private static int httpPort() throws Exception {
        Matcher m = LISTENING.matcher(walden.agentLog());
        int port = -1;
        while (m.find()) {
            port = Integer.parseInt(m.group(1)); // the agent's last start
        }
        assertTrue(port > 0, walden.agentLog());
        return port;
    }

    private static Map<String, String> status() throws Exception {
        Frame reply = new AgentClient(walden.socket, Duration.ofSeconds(10)).exchange(Frame.of(FrameType.STATUS));
        return StatusReply.fromFrame(reply).values();
    }

    private static Map<String, String> awaitStatus(String what, Predicate<Map<String, String>> condition)
            throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Map<String, String> last = Map.of();
        while (System.nanoTime() < deadline) {
            last = status();
            if (condition.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no " + what + " within " + WAIT + ": " + last + "\n" + walden.agentLog());
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private static void awaitTrue(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!check.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within " + WAIT + "\n" + walden.agentLog());
            }
            Thread.sleep(100);
        }
    }
}
