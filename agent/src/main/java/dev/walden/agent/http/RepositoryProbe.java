package dev.walden.agent.http;

import dev.walden.agent.archive.AgentStats;
import dev.walden.catalog.ChangeMarker;
import dev.walden.catalog.RepositoryReport;
import dev.walden.concurrent.DaemonThreads;
import dev.walden.repo.Repository;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToDoubleFunction;

/**
 * What the repository holds, as {@code walden list --json} reports it ({@link RepositoryReport}):
 * read on its own thread every {@link #EVERY}, soon after the agent's own job changed the
 * repository, and within {@link #CHANGES_EVERY} of a change made outside the agent (a
 * {@code walden dump} or {@code walden expire} run by hand, which notes it in
 * {@link ChangeMarker}); never on a request. {@code /status} shows the last report; the backup,
 * dump, size and recoverable-window gauges read it.
 *
 * <p>Why a marker and not a shorter period: a report lists every WAL file and backup file (one
 * request per thousand objects on S3) and reads every manifest; reading the marker is one small
 * GET (a stat and a read of a few hundred bytes on posix).
 *
 * <p>Between two reports the WAL size also counts what the agent has stored since the last one,
 * so that it follows archiving rather than jumping every few minutes.
 */
final class RepositoryProbe implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RepositoryProbe.class.getName());
    static final Duration EVERY = Duration.ofMinutes(5);
    /** How often the change marker is read: what "within seconds" means for a dump run by hand. */
    static final Duration CHANGES_EVERY = Duration.ofSeconds(5);

    /** The last report, when it was made, and the agent's stored-bytes count at that moment. */
    record Snapshot(RepositoryReport report, Instant at, long storedBytesThen) {
    }

    private final Repository repository;
    private final AgentStats stats;
    private final Clock clock;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("walden-repository-probe"));
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    private final Set<String> dumpGauges = ConcurrentHashMap.newKeySet();
    private volatile Snapshot snapshot;
    /** The change marker as the last report saw it. */
    private Optional<String> markerSeen = Optional.empty();
    private volatile String lastError;
    private MeterRegistry registry;
    private ToDoubleFunction<String> dumpSeconds = database -> Double.NaN;

    RepositoryProbe(Repository repository, AgentStats stats, Clock clock) {
        this.repository = repository;
        this.stats = stats;
        this.clock = clock;
    }

    /**
     * Registers the gauges; {@code dumpSeconds} gives how long the agent's last dump of a database
     * took (the dump catalog does not record it).
     */
    void bindTo(MeterRegistry registry, ToDoubleFunction<String> dumpSeconds) {
        this.registry = registry;
        this.dumpSeconds = dumpSeconds;
        Gauge.builder("walden.backup.last.success.timestamp", this, p -> p.newestBackup()
                        .map(b -> epochSeconds(b.stopTime())).orElse(Double.NaN)).baseUnit("seconds")
                .description("end of the newest usable base backup (Unix time); NaN when there is none")
                .register(registry);
        Gauge.builder("walden.backup.last.duration", this, p -> p.newestBackup()
                        .map(b -> epochSeconds(b.stopTime()) - epochSeconds(b.startTime())).orElse(Double.NaN)).baseUnit("seconds")
                .description("start to end of the newest usable base backup").register(registry);
        Gauge.builder("walden.backup.last.size", this, p -> p.newestBackup()
                        .map(b -> b.originalBytes() == null ? Double.NaN : (double) b.originalBytes())
                        .orElse(Double.NaN)).baseUnit("bytes").tag("kind", "original")
                .description("size of the newest usable base backup").register(registry);
        Gauge.builder("walden.backup.last.size", this, p -> p.newestBackup()
                        .map(b -> (double) b.storedBytes()).orElse(Double.NaN)).baseUnit("bytes").tag("kind", "stored")
                .description("size of the newest usable base backup").register(registry);
        Gauge.builder("walden.repository.size", this, RepositoryProbe::walBytes).baseUnit("bytes")
                .tag("content", "wal").description("bytes the repository holds, by content").register(registry);
        Gauge.builder("walden.repository.size", this, p -> p.report().map(r -> (double) r.backups().stream()
                        .mapToLong(RepositoryReport.Backup::storedBytes).sum()).orElse(Double.NaN)).baseUnit("bytes")
                .tag("content", "backups").description("bytes the repository holds, by content").register(registry);
        Gauge.builder("walden.repository.size", this, p -> p.report().map(r -> (double) r.dumps().stream()
                        .mapToLong(RepositoryReport.Dump::storedBytes).sum()).orElse(Double.NaN)).baseUnit("bytes")
                .tag("content", "dumps").description("bytes the repository holds, by content").register(registry);
        Gauge.builder("walden.recoverable.window.start.timestamp", this, p -> p.report()
                        .filter(r -> !r.windows().isEmpty()).map(r -> epochSeconds(r.windows().get(0).earliest()))
                        .orElse(Double.NaN))
                .baseUnit("seconds").description("earliest point walden recover can reach: end of the oldest usable"
                        + " base backup (NaN: nothing recoverable)").register(registry);
        Gauge.builder("walden.recoverable.window.end.timestamp", this, p -> p.report()
                        .map(RepositoryReport::recoverable).map(w -> epochSeconds(w.latest())).orElse(Double.NaN))
                .baseUnit("seconds").description("latest point walden recover can reach: when the newest WAL file"
                        + " continuous from a usable backup was archived").register(registry);
    }

    /** Starts probing now and every {@link #EVERY}, and looking for changes every {@link #CHANGES_EVERY}. */
    void start() {
        executor.scheduleWithFixedDelay(this::refresh, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
        executor.scheduleWithFixedDelay(this::refreshIfChanged, CHANGES_EVERY.toMillis(), CHANGES_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Makes a new report, on the calling thread, when the change marker differs from what the
     * last report saw. A marker that can't be read changes nothing: the health probe reports a
     * repository that doesn't answer, and the next full look comes anyway.
     */
    synchronized void refreshIfChanged() {
        try {
            if (!ChangeMarker.read(repository.storage()).equals(markerSeen)) {
                refresh();
            }
        } catch (IOException | RuntimeException e) {
            // see above
        }
    }

    /** Asks for a new report soon, off the caller's thread; requests made while one is queued fold into it. */
    void refreshSoon() {
        if (refreshQueued.compareAndSet(false, true)) {
            try {
                executor.execute(() -> {
                    refreshQueued.set(false);
                    refresh();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                refreshQueued.set(false); // closing
            }
        }
    }

    /** Makes a report now, on the calling thread. */
    synchronized void refresh() {
        long storedBefore = stats.storedBytes();
        try {
            // read before the listing: a change noted meanwhile makes the next look refresh again
            markerSeen = ChangeMarker.read(repository.storage());
            RepositoryReport report = RepositoryReport.of(repository);
            snapshot = new Snapshot(report, clock.instant(), storedBefore);
            lastError = null;
            registerDumpGauges(report);
        } catch (IOException | RuntimeException e) {
            if (lastError == null) {
                LOG.log(Level.WARNING, "cannot read what the repository holds (for /status and /metrics): " + e);
            }
            lastError = String.valueOf(e.getMessage());
        }
    }

    private void registerDumpGauges(RepositoryReport report) {
        MeterRegistry r = registry;
        if (r == null) {
            return;
        }
        for (RepositoryReport.Dump dump : report.dumps()) {
            String db = dump.database();
            if (!dumpGauges.add(db)) {
                continue;
            }
            Gauge.builder("walden.dump.last.success.timestamp", this, p -> p.latestDump(db)
                            .map(d -> epochSeconds(d.time())).orElse(Double.NaN)).baseUnit("seconds").tag("database", db)
                    .description("when the newest dump of the database was taken (Unix time)").register(r);
            // the newest dump's manifest says how long it took; older manifests don't: the agent's own figure then
            Gauge.builder("walden.dump.last.duration", this, p -> p.latestDump(db)
                            .map(d -> d.durationSeconds() == null ? p.dumpSeconds.applyAsDouble(db) : d.durationSeconds())
                            .orElse(Double.NaN)).baseUnit("seconds")
                    .tag("database", db).description("how long the newest dump of the database took").register(r);
            Gauge.builder("walden.dump.last.size", this, p -> p.latestDump(db)
                            .map(d -> d.originalBytes() == null ? Double.NaN : (double) d.originalBytes())
                            .orElse(Double.NaN)).baseUnit("bytes").tag("database", db).tag("kind", "original")
                    .description("size of the newest dump of the database").register(r);
            Gauge.builder("walden.dump.last.size", this, p -> p.latestDump(db).map(d -> (double) d.storedBytes())
                            .orElse(Double.NaN)).baseUnit("bytes").tag("database", db).tag("kind", "stored")
                    .description("size of the newest dump of the database").register(r);
        }
    }

    /** The last report and when it was made, if one has been. */
    Optional<Snapshot> snapshot() {
        return Optional.ofNullable(snapshot);
    }

    /** Why the last attempt failed, if it did. */
    Optional<String> lastError() {
        return Optional.ofNullable(lastError);
    }

    private Optional<RepositoryReport> report() {
        return snapshot().map(Snapshot::report);
    }

    /** The newest usable base backup: what a restore would start from. */
    private Optional<RepositoryReport.Backup> newestBackup() {
        return report().flatMap(r -> r.backups().stream().filter(b -> b.usable() && b.stopTime() != null)
                .max(Comparator.comparingDouble(b -> epochSeconds(b.stopTime()))));
    }

    private Optional<RepositoryReport.Dump> latestDump(String database) {
        return report().flatMap(r -> r.dumps().stream().filter(d -> d.database().equals(database) && d.latest())
                .findFirst());
    }

    private double walBytes() {
        Snapshot s = snapshot;
        return s == null ? Double.NaN : s.report().wal().storedBytes() + (stats.storedBytes() - s.storedBytesThen());
    }

    /**
     * Unix seconds of a report's time: an instant or an offset date-time (manifests), or a local
     * date-time (a dump without manifest, named in the agent's local time); NaN if none.
     */
    static double epochSeconds(String time) {
        if (time == null) {
            return Double.NaN;
        }
        try {
            return OffsetDateTime.parse(time).toInstant().toEpochMilli() / 1000.0;
        } catch (DateTimeParseException notOffset) {
            try {
                return LocalDateTime.parse(time).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli() / 1000.0;
            } catch (DateTimeParseException e) {
                return Double.NaN;
            }
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
