package dev.walden.agent.http;

import static dev.walden.agent.http.PrometheusMetricsTest.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.FakePgdata;
import dev.walden.agent.archive.AgentStats;
import dev.walden.catalog.ChangeMarker;
import dev.walden.catalog.DumpCatalog;
import dev.walden.catalog.DumpManifest;
import dev.walden.repo.Repository;
import dev.walden.storage.MemoryStorage;
import dev.walden.storage.ObjectWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The repository probe on a real (in-memory) repository, read back through the Prometheus registry. */
class RepositoryProbeTest {
    private static final Instant TAKEN = Instant.parse("2026-11-30T02:00:00Z");

    private static void dump(MemoryStorage storage, String db, Instant at, long original, int stored) throws Exception {
        LocalDateTime taken = LocalDateTime.ofInstant(at, ZoneOffset.UTC);
        String key = DumpCatalog.dumpKey(db, taken, "sql");
        try (ObjectWriter w = storage.write(key)) {
            w.stream().write(new byte[stored]);
            w.commit();
        }
        DumpCatalog catalog = new DumpCatalog(storage);
        catalog.writeManifest(new DumpManifest(1, db, key, OffsetDateTime.ofInstant(at, ZoneOffset.UTC).toString(),
                "plain", "none", "x", original, stored, "marker", "15.18", "15.18", null));
        catalog.setLatest(db, key);
    }

    @Test
    void dumpsAppearPerDatabaseWithTheNewestDumpsFigures() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        Repository repository = Repository.create(storage, FakePgdata.CLUSTER, Clock.systemUTC());
        dump(storage, "shop", TAKEN.minus(Duration.ofDays(1)), 5000, 700);
        dump(storage, "shop", TAKEN, 9000, 1200);
        dump(storage, "crm", TAKEN.plusSeconds(60), 300, 100);
        try (PrometheusMetrics metrics = new PrometheusMetrics();
             RepositoryProbe probe = new RepositoryProbe(repository, new AgentStats(Instant.now()), Clock.systemUTC())) {
            probe.bindTo(metrics.registry(), metrics::dumpSeconds);
            metrics.dumpFinished("shop", Duration.ofMillis(4500));
            probe.refresh();
            String text = metrics.scrape();
            assertEquals(TAKEN.getEpochSecond(), sample(text, "walden_dump_last_success_timestamp_seconds{database=\"shop\"}"));
            assertEquals(9000, sample(text, "walden_dump_last_size_bytes{database=\"shop\",kind=\"original\"}"));
            assertEquals(1200, sample(text, "walden_dump_last_size_bytes{database=\"shop\",kind=\"stored\"}"));
            assertEquals(4.5, sample(text, "walden_dump_last_duration_seconds{database=\"shop\"}"));
            assertEquals(TAKEN.getEpochSecond() + 60,
                    sample(text, "walden_dump_last_success_timestamp_seconds{database=\"crm\"}"));
            assertTrue(Double.isNaN(sample(text, "walden_dump_last_duration_seconds{database=\"crm\"}")),
                    "the agent has not dumped crm since it started");
            assertEquals(700 + 1200 + 100, sample(text, "walden_repository_size_bytes{content=\"dumps\"}"));
            assertEquals(0, sample(text, "walden_repository_size_bytes{content=\"wal\"}"));
        }
    }

    @Test
    void aChangeMadeOutsideTheAgentIsReadAtTheNextLookForChangesWithoutListingMeanwhile() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        Repository repository = Repository.create(storage, FakePgdata.CLUSTER, Clock.systemUTC());
        try (PrometheusMetrics metrics = new PrometheusMetrics();
             RepositoryProbe probe = new RepositoryProbe(repository, new AgentStats(Instant.now()), Clock.systemUTC())) {
            probe.bindTo(metrics.registry(), metrics::dumpSeconds);
            probe.refresh();
            RepositoryProbe.Snapshot first = probe.snapshot().orElseThrow();
            probe.refreshIfChanged();
            assertSame(first, probe.snapshot().orElseThrow(), "nothing noted: no listing");

            // walden dump, run by hand: the catalog changes, then the marker
            dump(storage, "shop", TAKEN, 9000, 1200);
            ChangeMarker.note(storage, "dump of shop");
            probe.refreshIfChanged();
            String text = metrics.scrape();
            assertEquals(TAKEN.getEpochSecond(), sample(text, "walden_dump_last_success_timestamp_seconds{database=\"shop\"}"));
            assertEquals(1200, sample(text, "walden_repository_size_bytes{content=\"dumps\"}"));
            RepositoryProbe.Snapshot second = probe.snapshot().orElseThrow();
            probe.refreshIfChanged();
            assertSame(second, probe.snapshot().orElseThrow(), "the same note is read once");
        }
    }

    @Test
    void reportTimesInEveryFormTheCatalogsUse() {
        assertEquals(TAKEN.getEpochSecond(), RepositoryProbe.epochSeconds("2026-11-30T02:00:00Z"));
        assertEquals(TAKEN.getEpochSecond(), RepositoryProbe.epochSeconds("2026-11-30T03:00+01:00"));
        assertEquals(LocalDateTime.parse("2026-11-30T02:00:00").atZone(ZoneId.systemDefault()).toEpochSecond(),
                RepositoryProbe.epochSeconds("2026-11-30T02:00:00"));
        assertTrue(Double.isNaN(RepositoryProbe.epochSeconds(null)));
        assertTrue(Double.isNaN(RepositoryProbe.epochSeconds("yesterday")));
    }
}
