package dev.walden.agent.http;

import dev.walden.agent.Agent;
import dev.walden.agent.archive.AgentStats;
import dev.walden.concurrent.DaemonThreads;
import dev.walden.config.Secrets;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The agent's health, decided every {@link #EVERY} on its own thread so that {@code /health} only
 * reads the last verdict: a hung store can make the agent unhealthy but never makes the endpoint
 * hang. Healthy means the repository answers (its {@code repository.json} read back), the
 * database answers (the {@link DatabaseProbe}'s last verdict) and archiving is not failing (the
 * last failure is not newer than the last success), and, with agent.stream on, the WAL stream
 * has not been disconnected for a minute (a slot PostgreSQL invalidated in the last hour is
 * reported as a warning after "ok"). It also counts the archive lag, PostgreSQL's
 * {@code archive_status/*.ready} files.
 */
final class HealthProbe implements AutoCloseable {
    static final Duration EVERY = Duration.ofSeconds(2);

    record Health(boolean healthy, String reason) {
    }

    private final Agent agent;
    private final DatabaseProbe database;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("walden-health"));
    /** A probe longer than this means the repository hangs: unhealthy, whatever the last verdict said. */
    static final Duration STALLED_AFTER = Duration.ofSeconds(10);

    private volatile Health health = new Health(false, "not probed yet");
    /** When the running probe began (System.nanoTime), 0 when none runs. */
    private volatile long probeStarted;
    /** Files PostgreSQL has finished and not yet archived; -1 unknown. */
    private volatile long readyFiles = -1;

    HealthProbe(Agent agent, DatabaseProbe database) {
        this.agent = agent;
        this.database = database;
    }

    void bindTo(MeterRegistry registry) {
        Gauge.builder("walden.wal.ready.files", this, p -> p.readyFiles < 0 ? Double.NaN : p.readyFiles)
                .description("WAL files PostgreSQL finished and has not archived yet (archive lag)").register(registry);
        Gauge.builder("walden.agent.healthy", this, p -> p.health().healthy() ? 1 : 0)
                .description("1 when /health answers 200").register(registry);
    }

    void start() {
        executor.scheduleWithFixedDelay(this::probe, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    Health health() {
        long started = probeStarted;
        if (started != 0 && System.nanoTime() - started > STALLED_AFTER.toNanos()) {
            return new Health(false, "repository " + agent.repository().storage().describe() + " did not answer within "
                    + STALLED_AFTER.toSeconds() + " s");
        }
        return health;
    }

    /** Files waiting to be archived ({@code archive_status/*.ready}), if they could be counted. */
    Optional<Long> readyFiles() {
        long n = readyFiles;
        return n < 0 ? Optional.empty() : Optional.of(n);
    }

    /** Probes now, on the calling thread. */
    void probe() {
        probeStarted = System.nanoTime();
        try {
            readyFiles = countReady(agent.config().pgWal().resolve("archive_status"));
            Health decided = decide();
            health = new Health(decided.healthy(), dev.walden.config.Secrets.redact(decided.reason()));
        } finally {
            probeStarted = 0;
        }
    }

    private Health decide() {
        try {
            try (var in = agent.repository().storage().read("repository.json")) {
                in.readAllBytes();
            }
        } catch (IOException | RuntimeException e) {
            return new Health(false, "repository " + agent.repository().storage().describe()
                    + " does not answer: " + e.getMessage());
        }
        Optional<String> databaseProblem = database.verdict().problem();
        if (databaseProblem.isPresent()) {
            return new Health(false, databaseProblem.get());
        }
        Optional<dev.walden.agent.stream.StreamState> stream = agent.stream().map(s -> s.state());
        Optional<String> streamProblem = stream.flatMap(s -> s.problem());
        if (streamProblem.isPresent()) {
            return new Health(false, streamProblem.get());
        }
        AgentStats stats = agent.stats();
        Optional<Map.Entry<Instant, String>> failure = stats.lastFailure();
        // a push answered OK, not a file stored ahead: PostgreSQL may be stuck on one file while
        // the look-ahead stores the ones after it
        Instant success = stats.lastAnsweredOk().orElse(Instant.MIN);
        if (failure.isPresent() && failure.get().getKey().isAfter(success)) {
            return new Health(false, "archiving is failing since " + failure.get().getKey() + ": "
                    + failure.get().getValue());
        }
        // healthy still, but said: the stream's copy has a hole the archive covers
        return new Health(true, stream.flatMap(s -> s.warning()).map(w -> "ok; warning: " + w).orElse("ok"));
    }

    private static long countReady(Path archiveStatus) {
        try (Stream<Path> files = Files.list(archiveStatus)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".ready")).count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
