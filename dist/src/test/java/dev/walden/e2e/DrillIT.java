package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.postgres.LocalCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 * walden drill against a real PostgreSQL 15 and its repository: a drill that passes (its record,
 * its checks, list), one whose check fails, one over a repository that lost a WAL file, and one
 * stopped by SIGTERM while the copy replays. Each leaves nothing behind in drill.directory and no
 * server running.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DrillIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern WORK_DIRECTORY = Pattern.compile("restoring into (\\S+) \\(removed at the end\\)");

    @TempDir
    static Path dir;
    static Installation walden;
    static LocalCluster cluster;
    static Path scratch;
    static String label;
    /** WAL archived after the backup, oldest first. */
    static List<String> after;

    @BeforeAll
    static void history() throws Exception {
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(clusterDir, Map.of());
        walden.connectTo(cluster);
        scratch = dir.resolve("scratch");
        walden.configure("drill.directory = " + scratch);
        walden.init();
        walden.startAgent();
        cluster.start();
        cluster.execute("CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS note FROM generate_series(1, 10000) g",
                "CREATE INDEX ON orders (note)");
        Installation.Run backup = walden.walden("backup", "--config", walden.config.toString(), "--json");
        assertEquals(0, backup.exit(), backup.toString());
        label = JSON.readTree(backup.stdout()).get("label").asText();
        // enough WAL after the backup that replaying it takes a while (the SIGTERM test)
        cluster.execute("CREATE TABLE bulk (id int, pad text)",
                "INSERT INTO bulk SELECT g, repeat(md5(g::text), 16) FROM generate_series(1, 250000) g",
                "INSERT INTO orders SELECT g, 'after the backup' FROM generate_series(10001, 10500) g");
        after = Archiver.switchSegments(cluster, 2);
        Archiver.awaitArchived(cluster, after.get(1), Duration.ofSeconds(120));
    }

    @AfterAll
    static void stop() throws Exception {
        cluster.close();
        walden.close();
    }

    @Test
    @Order(1)
    void aDrillRestoresReplaysChecksRecordsAndRemovesItsCopy() throws Exception {
        Path config = config("passing", "-- the operator's own checks", "SELECT count(*) = 10500 FROM orders;",
                "", "SELECT count(*) > 0 FROM bulk");
        Installation.Run run = walden.walden("drill", "--config", config.toString(), "--json");
        assertEquals(0, run.exit(), run.toString());
        JsonNode drill = JSON.readTree(run.stdout());
        assertEquals("ok", drill.get("result").asText(), run.stdout());
        assertEquals(label, drill.get("backup").asText());
        assertEquals("the end of the archived WAL", drill.get("target").asText());
        assertTrue(drill.get("reached_lsn").asText().contains("/"), run.stdout());
        Map<String, String> checks = new java.util.LinkedHashMap<>();
        drill.get("checks").forEach(c -> checks.put(c.get("name").asText(), c.get("result").asText()));
        assertEquals(List.of("connect", "databases", "amcheck", "sql: SELECT count(*) = 10500 FROM orders",
                "sql: SELECT count(*) > 0 FROM bulk"), List.copyOf(checks.keySet()), run.stdout());
        assertTrue(checks.values().stream().allMatch("ok"::equals), run.stdout());
        assertTrue(drill.get("checks").get(1).get("detail").asText().contains("postgres"), run.stdout());
        double target = drill.get("rto_seconds").get("target").asDouble();
        double consistent = drill.get("rto_seconds").get("consistent").asDouble();
        assertTrue(consistent > 0 && consistent <= target, run.stdout());
        for (String phase : List.of("plan", "restore", "stage", "recover", "checks", "cleanup", "total")) {
            assertTrue(drill.get("phases_seconds").has(phase), phase + ": " + run.stdout());
        }
        assertNothingLeft(run.stderr());
        assertTrue(run.stderr().contains("check amcheck: ok"), run.stderr());

        try (Stream<Path> records = Files.list(walden.repository.resolve("drills"))) {
            assertEquals(1, records.count(), "one record per drill");
        }
        try (Stream<Path> audit = Files.list(walden.repository.resolve("audit"))) {
            assertTrue(audit.anyMatch(p -> p.getFileName().toString().contains("-drill-")), "in the audit trail");
        }
        Installation.Run list = walden.walden("list", "--config", walden.config.toString());
        assertTrue(list.stdout().contains("Last restore drill: ") && list.stdout().contains("passed, backup " + label),
                list.stdout());
        Installation.Run listJson = walden.walden("list", "--config", walden.config.toString(), "--json");
        assertEquals(drill.get("time"), JSON.readTree(listJson.stdout()).get("last_successful_drill").get("time"));
    }

    @Test
    @Order(2)
    void aFailingCheckFailsTheDrillAndStillRemovesTheCopy() throws Exception {
        Path config = config("failing", "SELECT count(*) = 1 FROM orders");
        Installation.Run run = walden.walden("drill", "--config", config.toString());
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.stdout().contains("drill FAILED: check failed: sql: SELECT count(*) = 1 FROM orders: returned f"),
                run.stdout());
        assertNothingLeft(run.stdout());
        Installation.Run list = walden.walden("list", "--config", walden.config.toString());
        assertTrue(list.stdout().contains("FAILED, backup " + label), list.stdout());
    }

    @Test
    @Order(3)
    void aRepositoryThatLostAWalFileFailsTheDrillNamingItAndNothingIsRestored() throws Exception {
        Path copy = dir.resolve("repo-with-gap");
        assertEquals(0, Installation.run(dir, "cp", "-a", walden.repository.toString(), copy.toString()).exit());
        String lost = after.get(0);
        try (Stream<Path> files = Files.walk(copy.resolve("wal"))) {
            Files.delete(files.filter(p -> p.getFileName().toString().startsWith(lost + "-")).findFirst().orElseThrow());
        }
        Path config = Files.writeString(dir.resolve("gap.conf"), Files.readString(walden.config)
                .replace(walden.repository.toString(), copy.toString()));
        Installation.Run run = walden.walden("drill", "--config", config.toString(), "--json");
        assertEquals(1, run.exit(), run.toString());
        JsonNode drill = JSON.readTree(run.stdout());
        assertEquals("failed", drill.get("result").asText());
        assertTrue(drill.get("failure").asText().startsWith("WAL file " + lost + " is missing from the repository"),
                run.stdout());
        assertFalse(run.stderr().contains("starting PostgreSQL"), "refused before restoring: " + run.stderr());
        assertNothingLeft(run.stderr());
        try (Stream<Path> records = Files.list(copy.resolve("drills"))) {
            assertTrue(records.findAny().isPresent(), "the failed drill is recorded too");
        }
    }

    @Test
    @Order(4)
    void aDrillStoppedBySigtermWhileReplayingStopsAndRemovesItsCopy() throws Exception {
        Path out = dir.resolve("sigterm.out");
        Process drill = new ProcessBuilder(Installation.HOME.resolve("bin/walden").toString(), "drill", "--config",
                walden.config.toString()).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        try {
            Path work = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && drill.isAlive()) {
                Matcher m = WORK_DIRECTORY.matcher(Files.readString(out, StandardCharsets.UTF_8));
                if (m.find()) {
                    work = Path.of(m.group(1));
                    if (Files.exists(work.resolve("data/postmaster.pid"))) {
                        break;
                    }
                }
                Thread.sleep(20);
            }
            assertTrue(work != null && Files.exists(work.resolve("data/postmaster.pid")),
                    "the copy's server started: " + Files.readString(out));
            assertFalse(Files.readString(out).contains("drill passed"), "still replaying: " + Files.readString(out));
            drill.destroy(); // SIGTERM
            assertTrue(drill.waitFor(120, TimeUnit.SECONDS), "the drill stops");
            assertNotEquals(0, drill.exitValue());
            assertFalse(Files.exists(work), "the copy is removed: " + Files.readString(out));
            String workPath = work.toString();
            List<String> left = ProcessHandle.allProcesses()
                    .map(p -> p.info().commandLine().orElse(""))
                    .filter(c -> c.contains(workPath)).toList();
            assertEquals(List.of(), left, "no server of the copy keeps running");
            List<String> stopped = new ArrayList<>();
            try (Stream<Path> records = Files.list(walden.repository.resolve("drills"))) {
                for (Path record : records.filter(p -> p.toString().endsWith(".json")).toList()) {
                    JsonNode d = JSON.readTree(record.toFile());
                    if (d.get("failure") != null && d.get("failure").asText().startsWith("stopped by a signal")) {
                        stopped.add(d.get("failure").asText());
                    }
                }
            }
            // the signal comes as the copy's server has started: replaying, or (a fast replay) just done
            assertEquals(1, stopped.size(), stopped.toString());
            assertTrue(stopped.get(0).matches("stopped by a signal during (recovery|checks); the copy was removed"),
                    stopped.toString());
        } finally {
            drill.destroyForcibly();
        }
    }

    @Test
    @Order(5)
    void theAgentRunsTheDrillOnItsScheduleAndShowsItInStatusAndMetrics() throws Exception {
        walden.stopAgent();
        walden.environment(Map.of("WALDEN_SCHEDULE_DRILL", "* * * * *", "WALDEN_SCHEDULE_VERIFY", ""));
        int logFrom = walden.agentLog().length();
        walden.startAgent();
        JsonNode scheduled = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (scheduled == null && System.nanoTime() < deadline) {
            Thread.sleep(1000);
            try (Stream<Path> records = Files.list(walden.repository.resolve("drills"))) {
                for (Path record : records.filter(p -> p.toString().endsWith(".json")).toList()) {
                    JsonNode d = JSON.readTree(record.toFile());
                    if (d.get("trigger").asText().equals("schedule")) {
                        scheduled = d;
                    }
                }
            }
        }
        assertTrue(scheduled != null, "a scheduled drill within 4 minutes: " + walden.agentLog().substring(logFrom));
        assertEquals("ok", scheduled.get("result").asText(), scheduled.toString());
        String log = "";
        for (int i = 0; i < 100 && !log.contains("scheduled drill passed"); i++) { // the record comes first
            Thread.sleep(100);
            log = walden.agentLog().substring(logFrom);
        }
        assertTrue(log.contains("scheduled drill passed: backup " + label), log);
        walden.stopAgent(); // SIGTERM: a drill that had started again meanwhile removes its copy
        walden.environment(Map.of("WALDEN_SCHEDULE_DRILL", ""));
        for (int i = 0; i < 600 && !isEmpty(scratch); i++) {
            Thread.sleep(100);
        }
        assertNothingLeft(log);
        JsonNode status;
        walden.startAgent(); // status and metrics outlive a restart: read back from the repository
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        do {
            Thread.sleep(200);
            Installation.Run run = walden.walden("status", "--config", walden.config.toString(), "--json");
            assertEquals(0, run.exit(), run.toString());
            status = JSON.readTree(run.stdout());
        } while (status.path("last_successful_drill").asText().isEmpty() && System.nanoTime() < until);
        // (a second scheduled drill may have been stopped with the agent: the newest passed one counts)
        assertEquals(scheduled.get("time").asText(), status.get("last_successful_drill").asText(), status.toString());
        assertTrue(Double.parseDouble(status.get("last_drill_rto_seconds").asText()) > 0, status.toString());
        Matcher listening = Pattern.compile("HTTP endpoint on 127\\.0\\.0\\.1:(\\d+)")
                .matcher(walden.agentLog().substring(logFrom));
        String port = null;
        while (listening.find()) { // the restarted agent's port is the last
            port = listening.group(1);
        }
        assertTrue(port != null, walden.agentLog());
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        Matcher success = Pattern.compile("(?m)^walden_drill_last_success_timestamp_seconds (\\S+)").matcher(metrics);
        assertTrue(success.find(), metrics);
        assertTrue(Double.parseDouble(success.group(1)) > 1.7e9, metrics);
        assertTrue(metrics.contains("walden_drill_failures_total"), metrics);
        assertTrue(Pattern.compile("(?m)^walden_drill_rto_seconds [0-9.]+").matcher(metrics).find(), metrics);
    }

    private static boolean isEmpty(Path directory) throws Exception {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.findAny().isEmpty();
        }
    }

    /** The main config with the operator's checks in a file of their own. */
    private static Path config(String name, String... queries) throws Exception {
        Path checks = Files.write(dir.resolve(name + ".sql"), List.of(queries));
        return Files.writeString(dir.resolve(name + ".conf"), Files.readString(walden.config)
                + "drill.checks = " + checks + "\n");
    }

    private static void assertNothingLeft(String output) throws Exception {
        try (Stream<Path> left = Files.list(scratch)) {
            assertEquals(List.of(), left.toList(), "drill.directory is empty again: " + output);
        }
    }
}
