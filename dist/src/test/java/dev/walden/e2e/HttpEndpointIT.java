package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.postgres.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's HTTP endpoint while PostgreSQL archives through it: the counters, the latency
 * histogram and the repository figures in /metrics and /status move by what was archived, backed up
 * and fetched; /health turns 503 with the reason when the repository stops answering or the
 * database is stopped, and back to 200 when they return. walden fetch keeps its exit codes whether
 * the agent it reports to is there or not.
 */
class HttpEndpointIT {
    private static final Pattern LISTENING = Pattern.compile("HTTP endpoint on 127\\.0\\.0\\.1:(\\d+)");
    private static final Duration WAIT = Duration.ofSeconds(90);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.eE+-]+|NaN)$").matcher(text);
        assertTrue(m.find(), name + " missing from /metrics:\n" + text);
        return Double.parseDouble(m.group(1));
    }

    /** The sum of every series of a labelled metric. */
    private static double sum(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*} ([0-9.eE+-]+)$").matcher(text);
        double total = 0;
        int series = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
            series++;
        }
        assertTrue(series > 0, name + " missing from /metrics:\n" + text);
        return total;
    }

    /** The Grafana dashboard in docs/ plots only what the agent serves: every metric its queries name is on /metrics. */
    private static void everyDashboardMetricIsServed(String metrics) throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("../docs/grafana/walden-dashboard.json").toFile());
        Set<String> served = new HashSet<>();
        metrics.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                .forEach(l -> served.add(l.split("[{ ]", 2)[0]));
        Pattern metric = Pattern.compile("\\b((?:walden|process|jvm|system)_[a-z0-9_]+)\\b");
        int names = 0;
        for (JsonNode query : dashboard.findValues("expr")) {
            Matcher named = metric.matcher(query.asText());
            while (named.find()) {
                names++;
                assertTrue(served.contains(named.group(1)), "the dashboard plots " + named.group(1)
                        + ", which /metrics does not serve");
            }
        }
        assertTrue(names >= 20, names + " metric names in the dashboard's queries");
    }

    /** Polls /health until it answers {@code status}; returns the body. */
    private String awaitHealth(int port, int status) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        HttpResponse<String> last;
        do {
            last = get(port, "/health");
            if (last.statusCode() == status) {
                return last.body();
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("/health stayed " + last.statusCode() + ": " + last.body());
    }

    /** Polls /metrics until {@code name} is a number (the probes fill it in on their own schedule); returns it. */
    private double awaitNumber(int port, String name) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        double value;
        do {
            value = metric(get(port, "/metrics").body(), name);
            if (!Double.isNaN(value)) {
                return value;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(name + " stayed NaN");
    }

    @Test
    void metricsAndStatusFollowArchivingAndHealthFollowsTheRepositoryAndTheDatabase() throws Exception {
        Path clusterDir = dir.resolve("pg");
        try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
             LocalCluster cluster = walden.initCluster(clusterDir, Map.of())) {
            walden.connectTo(cluster);
            walden.init();
            walden.startAgent();
            // the endpoint starts right after the socket answers
            Matcher listening = LISTENING.matcher(walden.agentLog());
            for (int i = 0; i < 100 && !listening.find(); i++) {
                Thread.sleep(100);
                listening = LISTENING.matcher(walden.agentLog());
            }
            listening = LISTENING.matcher(walden.agentLog());
            assertTrue(listening.find(), walden.agentLog());
            int port = Integer.parseInt(listening.group(1));
            cluster.start();
            assertEquals("ok\n", awaitHealth(port, 200));

            String before = get(port, "/metrics").body();
            double files = metric(before, "walden_wal_archived_files_total");
            double latencies = metric(before, "walden_wal_archive_latency_seconds_count");
            List<String> segments = Archiver.switchSegments(cluster, 3);
            String last = segments.get(segments.size() - 1);
            Archiver.awaitArchived(cluster, last, Duration.ofSeconds(60));

            HttpResponse<String> metrics = get(port, "/metrics");
            assertEquals(200, metrics.statusCode());
            String after = metrics.body();
            assertTrue(metric(after, "walden_wal_archived_files_total") >= files + 3, after);
            assertTrue(metric(after, "walden_wal_archived_bytes_total{kind=\"original\"}") >= 3 * 16 * 1024 * 1024,
                    after);
            assertTrue(metric(after, "walden_wal_archived_bytes_total{kind=\"stored\"}")
                    < metric(after, "walden_wal_archived_bytes_total{kind=\"original\"}"), "compressed");
            assertTrue(metric(after, "walden_wal_archive_latency_seconds_count") >= latencies + 3, after);
            assertTrue(metric(after, "walden_wal_archive_latency_seconds_bucket{le=\"+Inf\"}") >= latencies + 3, after);
            assertTrue(metric(after, "walden_wal_archive_latency_seconds_sum") > 0, after);
            assertTrue(metric(after, "walden_agent_worker_busy_seconds_total") > 0, after);
            assertTrue(metric(after, "walden_agent_workers") >= 1, after);
            assertEquals(0.0, sum(after, "walden_wal_failures_total"));
            assertEquals(0.0, metric(after, "walden_wal_failures_total{reason=\"storage_failed\"}"));
            assertEquals(1.0, metric(after, "walden_agent_healthy"));
            assertEquals(1.0, metric(after, "walden_database_up"));
            assertEquals(Archiver.failedCount(cluster), metric(after, "walden_pg_archiver_failed_count"));
            assertTrue(after.contains("walden_pg_archiver_last_failed_timestamp_seconds NaN"), "no failure yet");
            assertTrue(after.contains("walden_backup_last_success_timestamp_seconds NaN"), "no backup yet");
            assertTrue(after.contains("walden_recoverable_window_end_timestamp_seconds NaN"), "no backup yet");
            assertTrue(awaitNumber(port, "walden_repository_size_bytes{content=\"wal\"}") > 0);
            double ready = metric(after, "walden_wal_ready_files");
            for (int i = 0; i < 100 && ready != 0; i++) { // probed every 2 s: wait for a fresh look
                Thread.sleep(100);
                ready = metric(get(port, "/metrics").body(), "walden_wal_ready_files");
            }
            assertEquals(0.0, ready, "everything PostgreSQL finished is archived: no lag");
            // the data-loss window: archive_timeout is 0 here, so nothing more is archived, and the age of the
            // newest archived WAL grows by the second
            double age = metric(get(port, "/metrics").body(), "walden_wal_last_archived_age_seconds");
            assertTrue(age >= 0 && age < 600, "the last of the switched segments was just stored: " + age);
            Thread.sleep(2000);
            double later = metric(get(port, "/metrics").body(), "walden_wal_last_archived_age_seconds");
            assertTrue(later >= age + 1.5, age + " s, 2 s later " + later + " s");
            // pg_current_wal_lsn(), as the database probe reads it every 10 s
            double lsn = Double.parseDouble(cluster.queryOne("SELECT pg_current_wal_lsn() - '0/0'"));
            long probeDeadline = System.nanoTime() + WAIT.toNanos();
            while (!(metric(get(port, "/metrics").body(), "walden_pg_wal_position_bytes") >= lsn)) {
                assertTrue(System.nanoTime() < probeDeadline, "walden_pg_wal_position_bytes stayed below " + lsn);
                Thread.sleep(200);
            }
            assertTrue(after.contains("jvm_memory_used_bytes"), "JVM metrics too");
            assertTrue(metric(after, "process_resident_memory_bytes") > 0, "Linux: VmRSS");
            assertTrue(metric(after, "process_files_open_files") > 0);

            HttpResponse<String> statusResponse = get(port, "/status");
            assertEquals("application/json", statusResponse.headers().firstValue("content-type").orElse(""));
            JsonNode status = new ObjectMapper().readTree(statusResponse.body());
            assertTrue(status.get("archived_count").asLong() >= 3, status.toString());
            assertTrue(status.get("last_archived_wal").asText().compareTo(last) >= 0, status.toString());
            assertTrue(status.get("healthy").asBoolean(), status.toString());
            assertEquals("0", status.get("queued").asText());
            assertEquals("0", status.get("running").asText());
            assertTrue(status.get("database").get("up").asBoolean(), status.toString());
            assertTrue(status.get("backups").isArray(), status.toString());

            // a dump run by hand, outside the agent: /metrics follows within seconds, not at the next
            // full look at the repository (every 5 minutes)
            Installation.Run dump = walden.walden("dump", "--config", walden.config.toString());
            assertEquals(0, dump.exit(), dump.toString());
            long dumped = System.nanoTime();
            String dumpGauge = "walden_dump_last_success_timestamp_seconds{database=\"postgres\"}";
            while (!get(port, "/metrics").body().contains(dumpGauge)) {
                assertTrue(System.nanoTime() - dumped < Duration.ofSeconds(30).toNanos(),
                        "the dump did not show in /metrics within 30 s");
                Thread.sleep(200);
            }
            JsonNode afterDump = new ObjectMapper().readTree(get(port, "/status").body());
            assertEquals(1, afterDump.get("dumps").size(), afterDump.toString());
            Installation.Run backup = walden.walden("backup", "--config", walden.config.toString());
            assertEquals(0, backup.exit(), backup.toString());
            double windowEnd = awaitNumber(port, "walden_recoverable_window_end_timestamp_seconds");
            String backedUp = get(port, "/metrics").body();
            double backupEnd = metric(backedUp, "walden_backup_last_success_timestamp_seconds");
            assertEquals(backupEnd, metric(backedUp, "walden_recoverable_window_start_timestamp_seconds"),
                    "the only backup's end is the earliest recoverable point");
            assertTrue(windowEnd >= backupEnd, windowEnd + " < " + backupEnd);
            assertTrue(metric(backedUp, "walden_backup_last_duration_seconds") >= 0, backedUp);
            assertTrue(metric(backedUp, "walden_backup_last_size_bytes{kind=\"original\"}") > 1024 * 1024, backedUp);
            assertTrue(metric(backedUp, "walden_backup_last_size_bytes{kind=\"stored\"}") > 0, backedUp);
            assertTrue(metric(backedUp, "walden_repository_size_bytes{content=\"backups\"}") > 0, backedUp);
            JsonNode backedUpStatus = new ObjectMapper().readTree(get(port, "/status").body());
            assertEquals(1, backedUpStatus.get("backups").size(), backedUpStatus.toString());
            assertTrue(backedUpStatus.get("recoverable").has("latest"), backedUpStatus.toString());

            // restore_command's fetches, reported to the agent
            Path fetched = dir.resolve("fetched");
            assertEquals(0, fetch(walden, segments.get(0), fetched).exit());
            assertEquals(1, fetch(walden, "0000000100000000000000FF", fetched).exit());
            String afterFetch = get(port, "/metrics").body();
            assertTrue(metric(afterFetch, "walden_dump_last_success_timestamp_seconds{database=\"postgres\"}") > 0,
                    afterFetch);
            assertTrue(metric(afterFetch, "walden_dump_last_duration_seconds{database=\"postgres\"}") >= 0,
                    "the manifest of a dump walden dump made says how long it took: " + afterFetch);
            everyDashboardMetricIsServed(afterFetch);
            assertEquals(1.0, metric(afterFetch, "walden_wal_fetches_total{result=\"found\"}"));
            assertEquals(1.0, metric(afterFetch, "walden_wal_fetches_total{result=\"missing\"}"));
            assertEquals(0.0, metric(afterFetch, "walden_wal_fetches_total{result=\"failed\"}"));

            Files.setPosixFilePermissions(walden.repository, PosixFilePermissions.fromString("---------"));
            try {
                String unhealthy = awaitHealth(port, 503);
                assertTrue(unhealthy.startsWith("unhealthy: repository posix:" + walden.repository
                        + " does not answer"), unhealthy);
                assertEquals(0.0, metric(get(port, "/metrics").body(), "walden_agent_healthy"));
            } finally {
                Files.setPosixFilePermissions(walden.repository, PosixFilePermissions.fromString("rwx------"));
            }
            assertEquals("ok\n", awaitHealth(port, 200));
            assertEquals(404, get(port, "/nothing").statusCode());

            int logBefore = walden.agentLog().length();
            cluster.stop();
            String down = awaitHealth(port, 503);
            assertTrue(down.startsWith("unhealthy: PostgreSQL on socket '" + cluster.socketDirectory() + "/.s.PGSQL."
                    + cluster.port() + "' as 'postgres' (database 'postgres') does not answer: "), down);
            assertEquals(0.0, metric(get(port, "/metrics").body(), "walden_database_up"));
            assertFalse(new ObjectMapper().readTree(get(port, "/status").body()).get("database").get("up").asBoolean());
            cluster.start();
            assertEquals("ok\n", awaitHealth(port, 200));
            assertEquals(1.0, metric(get(port, "/metrics").body(), "walden_database_up"));
            // the log hears of both changes, once each
            String log = walden.agentLog().substring(logBefore);
            String target = "PostgreSQL on socket '" + cluster.socketDirectory() + "/.s.PGSQL." + cluster.port()
                    + "' as 'postgres' (database 'postgres')";
            assertEquals(1, count(log, "level=WARN logger=agent.http.DatabaseProbe msg=\"" + target + " does not answer: "),
                    log);
            assertEquals(1, count(log, "level=INFO logger=agent.http.DatabaseProbe msg=\"" + target + " answers again (no "
                    + "answer for "), log);

            // no agent behind a socket file left by a crash, then no socket at all: the same exits
            walden.killAgent();
            assertTrue(Files.exists(walden.socket), "SIGKILL leaves the socket file behind");
            Files.deleteIfExists(fetched);
            assertEquals(0, fetch(walden, segments.get(0), fetched).exit());
            assertEquals(1, fetch(walden, "0000000100000000000000FF", fetched).exit());
            Files.delete(walden.socket);
            Files.deleteIfExists(fetched);
            Installation.Run found = fetch(walden, segments.get(0), fetched);
            assertEquals(0, found.exit(), found.toString());
            assertEquals("", found.stdout() + found.stderr());
            assertEquals(1, fetch(walden, "0000000100000000000000FF", fetched).exit());
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }

    private static Installation.Run fetch(Installation walden, String name, Path to) throws Exception {
        return walden.walden("fetch", "--config", walden.config.toString(), name, to.toString());
    }
}
