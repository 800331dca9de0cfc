package dev.walden.agent.http;

import dev.walden.agent.Agent;
import dev.walden.agent.archive.AgentMetrics;
import dev.walden.agent.archive.AgentStats;
import dev.walden.agent.archive.ArchiveResult;
import dev.walden.agent.stream.StreamState;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.FetchNotice;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@link AgentMetrics} into a Micrometer Prometheus registry: what the agent's HTTP endpoint
 * serves on {@code /metrics}. Meter names are Micrometer's dotted names; the registry turns
 * {@code walden.wal.archive.latency} into {@code walden_wal_archive_latency_seconds} and adds
 * {@code _total} to counters. The Prometheus names are a contract (alerts and dashboards use them):
 * see docs/operations.md.
 */
public final class PrometheusMetrics implements AgentMetrics, AutoCloseable {
    /**
     * Latency buckets from 1 ms (a duplicate push on a fast disk) to 60 s (beyond any sensible
     * agent.store_timeout), roughly 1-2.5-5 per decade.
     */
    static final Duration[] LATENCY_BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(30), Duration.ofSeconds(60)};

    /**
     * The codes a PUSH can be answered with, each a {@code reason} series from the start (a series
     * that appears only with its first failure would hide that failure from {@code increase()}).
     * Framing errors and a malformed body concern the connection, not a file; a new code is in.
     */
    static final Set<ErrorCode> PUSH_ERRORS = EnumSet.complementOf(EnumSet.of(ErrorCode.BAD_FRAME,
            ErrorCode.UNSUPPORTED_VERSION, ErrorCode.FRAME_TOO_LARGE, ErrorCode.UNKNOWN_REQUEST, ErrorCode.BAD_REQUEST,
            ErrorCode.BACKUP_FAILED, ErrorCode.CORRUPT_OBJECT));

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer latency;
    private final Counter busy;
    private final Map<FetchNotice.Result, Counter> fetches = new EnumMap<>(FetchNotice.Result.class);
    /** Seconds the agent's last successful dump of each database took; only dumps this agent ran. */
    private final Map<String, Double> dumpSeconds = new ConcurrentHashMap<>();
    private volatile Runnable onRepositoryChanged = () -> {
    };
    private volatile double drillSuccessAt = Double.NaN;
    private volatile double drillRto = Double.NaN;
    private volatile double verifyCleanAt = Double.NaN;
    private final Counter drillFailures;
    private final Counter verifyFailures;

    public PrometheusMetrics() {
        latency = Timer.builder("walden.wal.archive.latency")
                .description("PUSH answered OK: from the request's arrival to the file being durable in the repository")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
        busy = Counter.builder("walden.agent.worker.busy").baseUnit("seconds")
                .description("time workers spent archiving; divide its rate by walden_agent_workers for the busy ratio")
                .register(registry);
        for (FetchNotice.Result result : FetchNotice.Result.values()) {
            fetches.put(result, Counter.builder("walden.wal.fetches").tag("result", result.wireName())
                    .description("walden fetch calls (restore_command) reported to the agent").register(registry));
        }
        Gauge.builder("walden.drill.last.success.timestamp", this, m -> m.drillSuccessAt).baseUnit("seconds")
                .description("when the newest restore drill that passed began (Unix time); NaN before any")
                .register(registry);
        Gauge.builder("walden.drill.rto", this, m -> m.drillRto).baseUnit("seconds")
                .description("the newest passed drill's time from its start to the promoted copy at its target")
                .register(registry);
        drillFailures = Counter.builder("walden.drill.failures")
                .description("restore drills run by this agent that failed").register(registry);
        Gauge.builder("walden.verify.last.clean.timestamp", this, m -> m.verifyCleanAt).baseUnit("seconds")
                .description("when the newest walden verify that found the repository healthy ended (Unix time)")
                .register(registry);
        verifyFailures = Counter.builder("walden.verify.failures")
                .description("walden verify runs by this agent that found problems or failed").register(registry);
    }

    /**
     * Adds the JVM's and the process's meters (memory, GC, threads, classes, CPU, uptime, open files,
     * resident memory). Apart from the constructor because they start JMX, ~0.2 s the agent spends once it
     * listens rather than before: the agent starts before PostgreSQL, whose first archive_command waits.
     */
    public void bindRuntimeMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new ResidentMemory().bindTo(registry);
    }

    /** The registry, for the probes to register their gauges in and for scraping. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    /**
     * Registers what is read from the running agent when scraped: the counts {@link AgentStats}
     * keeps (so no second count exists) and the queue.
     */
    public void bind(Agent agent) {
        AgentStats stats = agent.stats();
        FunctionCounter.builder("walden.wal.archived.files", stats, AgentStats::archived)
                .description("WAL and history files newly stored in the repository").register(registry);
        FunctionCounter.builder("walden.wal.duplicate.pushes", stats, AgentStats::alreadyArchived)
                .description("pushes of files already archived with identical content").register(registry);
        for (ErrorCode code : PUSH_ERRORS) {
            FunctionCounter.builder("walden.wal.failures", stats, s -> s.failed(code)).tag("reason", code.wireName())
                    .description("pushes answered with an error, by error code").register(registry);
        }
        FunctionCounter.builder("walden.wal.archived", stats, AgentStats::originalBytes).baseUnit("bytes")
                .tag("kind", "original").description("bytes of WAL archived, as PostgreSQL wrote them")
                .register(registry);
        FunctionCounter.builder("walden.wal.archived", stats, AgentStats::storedBytes).baseUnit("bytes")
                .tag("kind", "stored").description("bytes of WAL archived, as stored (compressed)").register(registry);
        Gauge.builder("walden.wal.last.archived.timestamp", stats,
                        s -> s.lastArchivedAt().map(t -> t.toEpochMilli() / 1000.0).orElse(Double.NaN))
                .baseUnit("seconds").description("when the last file was archived (Unix time)").register(registry);
        Gauge.builder("walden.agent.queued", agent, a -> a.dispatcher().queued())
                .description("pushes waiting for a worker").register(registry);
        Gauge.builder("walden.agent.running", agent, a -> a.dispatcher().running())
                .description("files being archived now").register(registry);
        Gauge.builder("walden.agent.workers", agent, a -> a.dispatcher().workers())
                .description("configured workers (agent.workers)").register(registry);
        agent.stream().ifPresent(stream -> bindStream(stream.state()));
    }

    /** The WAL stream's meters (agent.stream = on). */
    private void bindStream(StreamState stream) {
        Gauge.builder("walden.stream.connected", stream, s -> s.isConnected() ? 1 : 0)
                .description("1 while the agent streams WAL over replication").register(registry);
        Gauge.builder("walden.stream.lag.bytes", stream, StreamState::lagBytes)
                .description("WAL the server has written that the stream has not stored yet").register(registry);
        Gauge.builder("walden.stream.lag.seconds", stream, StreamState::lagSeconds)
                .description("seconds since everything the server had written was stored: the data-loss window")
                .register(registry);
        Gauge.builder("walden.stream.slot.retained", stream, StreamState::retainedBytes).baseUnit("bytes")
                .description("WAL the server keeps for walden's replication slot (pg_current_wal_lsn() - restart_lsn)")
                .register(registry);
        FunctionCounter.builder("walden.stream.slot.invalidations", stream, StreamState::invalidations)
                .description("times PostgreSQL invalidated walden's slot (max_slot_wal_keep_size)").register(registry);
        FunctionCounter.builder("walden.stream.mismatched.segments", stream, StreamState::mismatches)
                .description("streamed segments that differed from the archived copy (an alarm)").register(registry);
        FunctionCounter.builder("walden.stream.stored", stream, StreamState::storedBytes).baseUnit("bytes")
                .description("bytes of streamed WAL stored, compressed, every rewrite counted").register(registry);
    }

    /**
     * Registers the age of the newest archived WAL: the data-loss window of a quiet server, which
     * grows until PostgreSQL switches to a new segment (full, or archive_timeout) and that segment
     * is stored. The newest of what the agent stored since it started and of what PostgreSQL
     * reports archived ({@code pg_stat_archiver.last_archived_time}, which outlives a restart of the agent).
     */
    void bindNewestArchive(AgentStats stats, DatabaseProbe database, Clock clock) {
        Gauge.builder("walden.wal.last.archived.age", stats, s -> ageSeconds(s.lastArchivedAt(),
                        database.verdict().lastArchived(), clock.instant())).baseUnit("seconds")
                .description("seconds since WAL last reached the repository (stored by the agent, or archived per "
                        + "pg_stat_archiver); grows on a quiet server until a segment switch; NaN before any")
                .register(registry);
    }

    /** Seconds from the newer of two archive times to {@code now}; NaN when neither is known. */
    static double ageSeconds(Optional<Instant> agent, Optional<Instant> postgres, Instant now) {
        Optional<Instant> newest = Stream.of(agent, postgres).flatMap(Optional::stream).max(Instant::compareTo);
        return newest.map(t -> Duration.between(t, now).toMillis() / 1000.0).orElse(Double.NaN);
    }

    /** Runs {@code action} (off the caller's thread, it must return at once) whenever a job changed the repository. */
    void onRepositoryChanged(Runnable action) {
        onRepositoryChanged = action;
    }

    /** Seconds the agent's last successful dump of {@code database} took; NaN when it ran none since it started. */
    double dumpSeconds(String database) {
        return dumpSeconds.getOrDefault(database, Double.NaN);
    }

    @Override
    public void pushAnswered(ArchiveResult result, Duration sinceReceived) {
        if (result instanceof ArchiveResult.Stored) {
            latency.record(sinceReceived.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void workerBusy(Duration took) {
        busy.increment(took.toNanos() / 1e9);
    }

    @Override
    public void fetched(FetchNotice.Result result) {
        fetches.get(result).increment();
    }

    @Override
    public void dumpFinished(String database, Duration took) {
        dumpSeconds.put(database, took.toNanos() / 1e9); // the gauge appears once the repository probe sees the dump
    }

    @Override
    public void repositoryChanged() {
        onRepositoryChanged.run();
    }

    @Override
    public void drillFinished(dev.walden.catalog.DrillLog.Drill drill, boolean ranHere) {
        if (drill.ok()) {
            drillSuccessAt = Instant.parse(drill.time()).toEpochMilli() / 1000.0;
            drillRto = drill.rto().orElse(Double.NaN);
        } else if (ranHere) {
            drillFailures.increment();
        }
    }

    @Override
    public void verifyFinished(Instant at, boolean healthy, boolean ranHere) {
        if (healthy) {
            verifyCleanAt = at.toEpochMilli() / 1000.0;
        } else if (ranHere) {
            verifyFailures.increment();
        }
    }

    @Override
    public void close() {
        registry.close();
    }
}
