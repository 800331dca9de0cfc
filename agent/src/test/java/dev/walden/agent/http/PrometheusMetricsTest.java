package dev.walden.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.SetClock;
import dev.walden.agent.archive.AgentStats;
import dev.walden.agent.archive.ArchiveResult;
import dev.walden.db.ConnectionSettings;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.FetchNotice;
import dev.walden.repo.Compression;
import dev.walden.repo.StoredWal;
import dev.walden.wal.WalFileName;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Events recorded into the real Prometheus registry, read back from its text exposition. */
class PrometheusMetricsTest {
    private final PrometheusMetrics metrics = new PrometheusMetrics();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        metrics.close();
    }

    /** The value of one sample line, {@code name{labels} value}, in Prometheus text format. */
    static double sample(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+|NaN)$").matcher(scrape);
        assertTrue(m.find(), series + " missing from:\n" + scrape);
        return Double.parseDouble(m.group(1));
    }

    private static ArchiveResult.Stored stored(String name) {
        return new ArchiveResult.Stored(new StoredWal(WalFileName.parse(name), "wal/" + name, "a".repeat(64),
                Compression.LZ4, 100), 16 * 1024 * 1024, false, Duration.ofMillis(3));
    }

    @Test
    void theNewestArchivesAgeGrowsWhileNothingIsArchivedAndDropsWhenSomethingIs() {
        Instant t0 = Instant.parse("2026-12-01T02:00:00Z");
        SetClock clock = new SetClock(t0);
        AgentStats stats = new AgentStats(t0);
        ConnectionSettings nowhere = ConnectionSettings.resolve(Map.of("PGHOST", dir.toString()), Map.of(), "nobody");
        metrics.bindNewestArchive(stats, new DatabaseProbe(nowhere, clock), clock);
        String series = "walden_wal_last_archived_age_seconds";
        assertTrue(Double.isNaN(sample(metrics.scrape(), series)), "nothing archived, nothing known from PostgreSQL");

        stats.stored(stored("000000010000000000000001"), t0);
        clock.set(t0.plusSeconds(90));
        assertEquals(90, sample(metrics.scrape(), series));
        clock.set(t0.plusSeconds(3600)); // a quiet server: no segment switch, nothing archived
        assertEquals(3600, sample(metrics.scrape(), series));
        stats.stored(stored("000000010000000000000002"), t0.plusSeconds(3599));
        assertEquals(1, sample(metrics.scrape(), series));
    }

    @Test
    void theNewestArchiveIsTheNewerOfTheAgentsAndPostgresqlsWord() {
        Instant now = Instant.parse("2026-12-01T02:00:00Z");
        Optional<Instant> minuteAgo = Optional.of(now.minusSeconds(60));
        Optional<Instant> hourAgo = Optional.of(now.minusSeconds(3600));
        assertEquals(60, PrometheusMetrics.ageSeconds(minuteAgo, hourAgo, now));
        assertEquals(60, PrometheusMetrics.ageSeconds(hourAgo, minuteAgo, now), "after a restart the agent knows "
                + "less than pg_stat_archiver");
        assertEquals(3600, PrometheusMetrics.ageSeconds(Optional.empty(), hourAgo, now));
        assertTrue(Double.isNaN(PrometheusMetrics.ageSeconds(Optional.empty(), Optional.empty(), now)));
    }

    @Test
    void latencyHistogramCountsOkAnswersInTheirBuckets() {
        metrics.pushAnswered(stored("000000010000000000000001"), Duration.ofMillis(3));
        metrics.pushAnswered(stored("000000010000000000000002"), Duration.ofMillis(40));
        metrics.pushAnswered(stored("000000010000000000000003"), Duration.ofSeconds(2));
        metrics.pushAnswered(new ArchiveResult.Failed(ErrorCode.STORAGE_TIMEOUT, "slow"), Duration.ofSeconds(20));
        String text = metrics.scrape();
        assertEquals(3, sample(text, "walden_wal_archive_latency_seconds_count"), "an error is not a latency");
        assertEquals(2.043, sample(text, "walden_wal_archive_latency_seconds_sum"), 1e-9);
        assertEquals(0, sample(text, "walden_wal_archive_latency_seconds_bucket{le=\"0.001\"}"));
        assertEquals(1, sample(text, "walden_wal_archive_latency_seconds_bucket{le=\"0.005\"}"));
        assertEquals(2, sample(text, "walden_wal_archive_latency_seconds_bucket{le=\"0.05\"}"));
        assertEquals(2, sample(text, "walden_wal_archive_latency_seconds_bucket{le=\"1.0\"}"));
        assertEquals(3, sample(text, "walden_wal_archive_latency_seconds_bucket{le=\"2.5\"}"));
        assertEquals(3, sample(text, "walden_wal_archive_latency_seconds_bucket{le=\"60.0\"}"));
        assertEquals(3, sample(text, "walden_wal_archive_latency_seconds_bucket{le=\"+Inf\"}"));
    }

    @Test
    void workerBusyTimeAddsUpInSeconds() {
        metrics.workerBusy(Duration.ofMillis(1500));
        metrics.workerBusy(Duration.ofMillis(250));
        assertEquals(1.75, sample(metrics.scrape(), "walden_agent_worker_busy_seconds_total"), 1e-9);
    }

    @Test
    void fetchesAreCountedByResultAndEveryResultIsThereFromTheStart() {
        assertEquals(0, sample(metrics.scrape(), "walden_wal_fetches_total{result=\"failed\"}"));
        metrics.fetched(FetchNotice.Result.FOUND);
        metrics.fetched(FetchNotice.Result.FOUND);
        metrics.fetched(FetchNotice.Result.MISSING);
        String text = metrics.scrape();
        assertEquals(2, sample(text, "walden_wal_fetches_total{result=\"found\"}"));
        assertEquals(1, sample(text, "walden_wal_fetches_total{result=\"missing\"}"));
        assertEquals(0, sample(text, "walden_wal_fetches_total{result=\"failed\"}"));
    }

    @Test
    void aDumpDurationIsKeptPerDatabase() {
        assertTrue(Double.isNaN(metrics.dumpSeconds("shop")));
        metrics.dumpFinished("shop", Duration.ofMillis(12_500));
        assertEquals(12.5, metrics.dumpSeconds("shop"));
        assertTrue(Double.isNaN(metrics.dumpSeconds("other")));
    }

    @Test
    void repositoryChangesReachTheListener() {
        int[] calls = {0};
        metrics.repositoryChanged(); // nobody listens yet: nothing happens, nothing breaks
        metrics.onRepositoryChanged(() -> calls[0]++);
        metrics.repositoryChanged();
        assertEquals(1, calls[0]);
    }

    @Test
    void processMetricsAreThere() {
        assertFalse(metrics.scrape().contains("jvm_memory_used_bytes"), "bound only once the agent listens");
        metrics.bindRuntimeMetrics();
        String text = metrics.scrape();
        assertTrue(sample(text, "process_uptime_seconds") >= 0);
        assertTrue(sample(text, "system_cpu_count") >= 1);
        assertTrue(text.contains("process_cpu_usage"), text);
        assertTrue(sample(text, "process_files_open_files") > 0);
        assertTrue(text.contains("jvm_memory_used_bytes{"), text);
        if (Files.exists(Path.of("/proc/self/status"))) {
            System.gc(); // the gauge must not depend on a binder only a weak reference holds
            assertTrue(sample(metrics.scrape(), "process_resident_memory_bytes") > 1024 * 1024);
        }
    }

    @Test
    void residentMemoryIsReadFromVmRssInKilobytes() throws Exception {
        Path status = dir.resolve("status");
        Files.writeString(status, "Name:\tjava\nVmPeak:\t 9999 kB\nVmRSS:\t   1234 kB\nThreads:\t42\n");
        assertEquals(1234 * 1024, new ResidentMemory(status).read().getAsLong());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        new ResidentMemory(status).bindTo(registry);
        assertEquals(1234 * 1024, sample(registry.scrape(), "process_resident_memory_bytes"));
    }

    @Test
    void withoutVmRssThereIsNoResidentMemoryGauge() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        new ResidentMemory(dir.resolve("no-such-file")).bindTo(registry);
        assertFalse(registry.scrape().contains("process_resident_memory_bytes"));
    }
}
