package dev.walden.agent.http;

import static dev.walden.agent.http.PrometheusMetricsTest.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.Agent;
import dev.walden.agent.AgentConfig;
import dev.walden.agent.FakePgdata;
import dev.walden.config.ConfigKeys;
import dev.walden.db.ConnectionSettings;
import dev.walden.protocol.AgentClient;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.FetchNotice;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import dev.walden.push.WaldenPush;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.storage.MemoryStorage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent with its metrics and HTTP endpoint, wired as {@code walden agent} wires them, pushed
 * to by walden-push's client code: what /metrics, /health and /status say follows what happened.
 * The database it is told to probe does not exist (the end-to-end test has a real one).
 */
class HttpEndpointTest {
    private static final String PASSWORD = "s3cret-pw";

    @TempDir
    Path dir;
    FakePgdata pg;
    Agent agent;
    PrometheusMetrics metrics;
    HttpEndpoint endpoint;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void setUp() throws IOException {
        pg = new FakePgdata(dir);
        MemoryStorage storage = new MemoryStorage();
        Repository.create(storage, FakePgdata.CLUSTER, Clock.systemUTC());
        metrics = new PrometheusMetrics();
        agent = Agent.start(new AgentConfig(pg.pgdata, pg.pgWal, dir.resolve("agent.sock"), Optional.empty(), 2, 64,
                Duration.ofSeconds(10), Duration.ofSeconds(5), Compression.LZ4, 0, false), storage, Clock.systemUTC(),
                Optional.empty(), metrics);
        ConnectionSettings db = ConnectionSettings.resolve(Map.of("PGHOST", dir.resolve("no-server").toString(),
                "PGUSER", "postgres", "PGPASSWORD", PASSWORD, "PGDATABASE", "shop"), Map.of(), "nobody");
        endpoint = HttpEndpoint.start(new InetSocketAddress("127.0.0.1", 0), agent, metrics, db, Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws IOException {
        endpoint.close();
        agent.close();
    }

    private int push(String path) {
        return WaldenPush.run(new String[] {"--socket", dir.resolve("agent.sock").toString(), path}, Map.of(),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.address().getPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GETs {@code path} until the answer satisfies {@code until} (the probes run on their own schedule). */
    private HttpResponse<String> await(String path, Predicate<HttpResponse<String>> until) throws Exception {
        HttpResponse<String> last = get(path);
        for (int i = 0; i < 300 && !until.test(last); i++) {
            Thread.sleep(100);
            last = get(path);
        }
        assertTrue(until.test(last), path + " never got there: " + last.statusCode() + " " + last.body());
        return last;
    }

    private Frame exchange(Frame request) throws Exception {
        return new AgentClient(dir.resolve("agent.sock"), Duration.ofSeconds(5)).exchange(request);
    }

    @Test
    void metricsCountWhatWasArchivedRefusedAndFetched() throws Exception {
        assertEquals(WaldenPush.OK, push(pg.segment("000000010000000000000002", 2).toString()));
        assertEquals(WaldenPush.OK, push(pg.segment("000000010000000000000003", 3).toString()));
        assertEquals(WaldenPush.OK, push(pg.pgWal.resolve("000000010000000000000003").toString())); // duplicate
        assertEquals(WaldenPush.REFUSED, push("/etc/passwd"));
        assertEquals(FrameType.OK, exchange(new FetchNotice("000000010000000000000002",
                FetchNotice.Result.FOUND).toFrame()).type());
        assertEquals(FrameType.OK, exchange(new FetchNotice("000000010000000000000009",
                FetchNotice.Result.MISSING).toFrame()).type());
        Frame malformed = exchange(new Frame(FrameType.FETCHED, "000000010000000000000002 lost".getBytes(
                StandardCharsets.UTF_8)));
        assertEquals(ErrorCode.BAD_REQUEST, ErrorReply.fromFrame(malformed).knownCode());

        String text = get("/metrics").body();
        assertEquals(2, sample(text, "walden_wal_archived_files_total"));
        assertEquals(1, sample(text, "walden_wal_duplicate_pushes_total"));
        assertEquals(1, sample(text, "walden_wal_failures_total{reason=\"bad_name\"}"));
        assertEquals(0, sample(text, "walden_wal_failures_total{reason=\"storage_timeout\"}"));
        assertEquals(0, sample(text, "walden_wal_failures_total{reason=\"overloaded\"}"));
        assertFalse(text.contains("reason=\"bad_frame\""), "a framing error is no archive failure");
        assertEquals(3, sample(text, "walden_wal_archive_latency_seconds_count"), "every OK answer, duplicates too");
        assertTrue(sample(text, "walden_wal_archive_latency_seconds_sum") > 0);
        assertTrue(sample(text, "walden_agent_worker_busy_seconds_total") > 0);
        assertEquals(2, sample(text, "walden_agent_workers"));
        assertEquals(0, sample(text, "walden_agent_queued"));
        assertEquals(1, sample(text, "walden_wal_fetches_total{result=\"found\"}"));
        assertEquals(1, sample(text, "walden_wal_fetches_total{result=\"missing\"}"));
        assertEquals(0, sample(text, "walden_wal_fetches_total{result=\"failed\"}"));
        assertEquals(2 * Files.size(pg.pgWal.resolve("000000010000000000000002")),
                sample(text, "walden_wal_archived_bytes_total{kind=\"original\"}"));
        assertTrue(Double.isNaN(sample(text, "walden_backup_last_success_timestamp_seconds")), "no backup");
        assertTrue(Double.isNaN(sample(text, "walden_recoverable_window_end_timestamp_seconds")), "no backup");

        String probed = await("/metrics", r -> !r.body().contains("walden_repository_size_bytes{content=\"wal\"} NaN"))
                .body();
        double stored = sample(probed, "walden_wal_archived_bytes_total{kind=\"stored\"}");
        assertEquals(stored, sample(probed, "walden_repository_size_bytes{content=\"wal\"}"),
                "the repository holds what the agent stored, no more");
        assertEquals(0, sample(probed, "walden_repository_size_bytes{content=\"backups\"}"));
        assertEquals(0, sample(probed, "walden_database_up"));
        assertTrue(Double.isNaN(sample(probed, "walden_pg_archiver_failed_count")), "unknown without a database");
    }

    @Test
    void healthNamesTheUnreachableDatabaseButNeverItsPassword() throws Exception {
        HttpResponse<String> health = await("/health", r -> r.body().contains("does not answer"));
        assertEquals(503, health.statusCode());
        assertEquals("unhealthy: PostgreSQL on socket '" + dir.resolve("no-server") + "/.s.PGSQL.5432' as 'postgres' "
                + "(database 'shop') does not answer: No such file or directory\n", health.body());
        assertFalse(health.body().contains(PASSWORD), health.body());
        assertEquals(0, sample(get("/metrics").body(), "walden_agent_healthy"));
        HttpResponse<String> status = get("/status");
        assertFalse(status.body().contains(PASSWORD), status.body());
        JsonNode json = new ObjectMapper().readTree(status.body());
        assertFalse(json.get("database").get("up").asBoolean());
        assertTrue(json.get("database").get("target").asText().endsWith("/shop?host=" + dir.resolve("no-server")));
    }

    @Test
    void statusHasTheRepositoryReportAndTheLiveState() throws Exception {
        Files.createDirectories(pg.pgWal.resolve("archive_status"));
        Files.writeString(pg.pgWal.resolve("archive_status/000000010000000000000004.ready"), "");
        assertEquals(WaldenPush.OK, push(pg.segment("000000010000000000000002", 2).toString()));
        assertEquals(WaldenPush.REFUSED, push(pg.foreignSegment("000000010000000000000003", 555L).toString()));
        JsonNode status = new ObjectMapper().readTree(await("/status",
                r -> r.body().contains("\"repository_read_at\"") && r.body().contains("\"ready_files\" : 1")).body());
        assertEquals("000000010000000000000002", status.get("last_archived_wal").asText());
        assertEquals("foreign_system", status.get("last_failure_reason").asText());
        assertTrue(status.get("last_failure").asText().contains("555"), status.toString());
        assertEquals("0", status.get("queued").asText());
        assertEquals("0", status.get("running").asText());
        assertEquals(1, status.get("ready_files").asInt());
        assertTrue(status.get("backups").isArray() && status.get("backups").isEmpty(), status.toString());
        assertTrue(status.get("dumps").isArray(), status.toString());
        assertTrue(status.get("wal").get("files").asInt() >= 0, status.toString());
        assertFalse(status.has("recoverable"), "nothing is recoverable without a backup");
        assertFalse(status.get("healthy").asBoolean());
    }

    @Test
    void theDefaultPortIsNotOneOfTheExportersADatabaseHostRuns() {
        InetSocketAddress listen = HttpEndpoint.parseListen(ConfigKeys.HTTP_LISTEN.defaultValue()).orElseThrow();
        assertEquals("127.0.0.1", listen.getHostString(), "loopback: the endpoint has no authentication");
        // Prometheus' default port allocations: node_exporter, PgBouncer exporter, postgres_exporter, wal-g exporter
        assertFalse(java.util.Set.of(9100, 9127, 9187, 9351).contains(listen.getPort()), listen.toString());
        assertEquals(10187, listen.getPort(), "docs/operations.md says why this one");
    }

    @Test
    void everyWaldenMetricIsInTheOperationsGuide() throws Exception {
        String guide = Files.readString(Path.of("../docs/operations.md"));
        String table = guide.substring(guide.indexOf("| metric | meaning |"), guide.indexOf("Scrape it"));
        java.util.regex.Matcher family = java.util.regex.Pattern.compile("(?m)^# TYPE (walden_\\w+) ")
                .matcher(get("/metrics").body());
        int families = 0;
        while (family.find()) {
            families++;
            assertTrue(table.contains("`" + family.group(1) + "`") || table.contains("`" + family.group(1) + "{"),
                    family.group(1) + " is missing from the metric table in docs/operations.md");
        }
        assertTrue(families >= 23, families + " walden_ metrics (all but the dump ones, which need a dump)");
    }
}
