package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.cluster.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's HTTP endpoint while PostgreSQL archives through it: the counters in /metrics and
 * /status move by what was archived, and /health turns 503 with the reason when the repository
 * stops answering, and back to 200 when it recovers.
 */
class HttpEndpointIT {
    private static final Pattern LISTENING = Pattern.compile("HTTP endpoint on 127\\.0\\.0\\.1:(\\d+)");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.eE+-]+)$").matcher(text);
        assertTrue(m.find(), name + " missing from /metrics:\n" + text);
        return Double.parseDouble(m.group(1));
    }

    /** Polls /health until it answers {@code status}; returns the body. */
    private String awaitHealth(int port, int status) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
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

    @Test
    void metricsAndStatusFollowArchivingAndHealthFollowsTheRepository() throws Exception {
        Path clusterDir = dir.resolve("pg");
        try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
             LocalCluster cluster = walden.initCluster(clusterDir, Map.of())) {
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
            assertEquals(0.0, metric(after, "walden_wal_failures_total"));
            assertEquals(1.0, metric(after, "walden_agent_healthy"));
            assertTrue(after.contains("walden_backup_last_success_timestamp_seconds NaN"), "no backup yet");
            double ready = metric(after, "walden_wal_ready_files");
            for (int i = 0; i < 100 && ready != 0; i++) { // probed every 2 s: wait for a fresh look
                Thread.sleep(100);
                ready = metric(get(port, "/metrics").body(), "walden_wal_ready_files");
            }
            assertEquals(0.0, ready, "everything PostgreSQL finished is archived: no lag");
            assertTrue(after.contains("jvm_memory_used_bytes"), "JVM metrics too");

            HttpResponse<String> statusResponse = get(port, "/status");
            assertEquals("application/json", statusResponse.headers().firstValue("content-type").orElse(""));
            JsonNode status = new ObjectMapper().readTree(statusResponse.body());
            assertTrue(status.get("archived_count").asLong() >= 3, status.toString());
            assertTrue(status.get("last_archived_wal").asText().compareTo(last) >= 0, status.toString());
            assertTrue(status.get("healthy").asBoolean(), status.toString());
            assertEquals("0", status.get("queued").asText());

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
        }
    }
}
