package dev.walden.agent.http;

import dev.walden.concurrent.DaemonThreads;
import dev.walden.db.ConnectionSettings;
import dev.walden.db.Database;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Asks the database, every {@link #EVERY} on its own thread, whether it answers and what its
 * archiver says ({@code pg_stat_archiver}): PostgreSQL counts the archive_command failures the
 * agent never sees (walden-push could not reach the agent, for one). Connects with the agent's
 * connection settings and short timeouts, a new connection each time, so a restarted server is
 * noticed and nothing is held open between probes.
 *
 * <p>The timeouts cover connecting, logging in and every read (pgjdbc's socketTimeout, which the
 * Unix-socket factory honours), so a server that froze mid-query ends the probe in
 * {@link #TIMEOUT}. Should a probe hang all the same, the verdict turns "down" once it has run
 * for {@link #STALE_AFTER}; the next probe starts when it returns.
 *
 * <p>The log hears of changes only: a WARN when the database stops answering (the first probe
 * included), an INFO when it answers again, and nothing for every probe in between.
 */
final class DatabaseProbe implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DatabaseProbe.class.getName());
    static final Duration EVERY = Duration.ofSeconds(10);
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    static final Duration STALE_AFTER = TIMEOUT.multipliedBy(3);

    /**
     * What the last probe found.
     *
     * @param problem why the database did not answer; empty when it did
     * @param failedCount pg_stat_archiver.failed_count, -1 unknown
     * @param lastFailed pg_stat_archiver.last_failed_time, empty when none or unknown
     * @param lastArchived pg_stat_archiver.last_archived_time, empty when none or unknown
     * @param walPosition pg_current_wal_lsn() in bytes, -1 unknown (or a standby, which writes none)
     */
    record Verdict(Optional<String> problem, long failedCount, Optional<Instant> lastFailed,
                   Optional<Instant> lastArchived, double walPosition, Instant at) {
        static Verdict down(String problem, Instant at) {
            return new Verdict(Optional.of(problem), -1, Optional.empty(), Optional.empty(), -1, at);
        }
    }

    private final ConnectionSettings settings;
    private final Clock clock;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("walden-database-probe"));
    private volatile Verdict verdict;
    /** When the probe running now began (System.nanoTime), or 0 when none runs. */
    private volatile long runningSince;
    /** Since when the database has not answered; null while it does, and before the first probe. */
    private Instant downSince;

    DatabaseProbe(ConnectionSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.verdict = Verdict.down(settings.describe() + " not probed yet", clock.instant());
    }

    void bindTo(MeterRegistry registry) {
        Gauge.builder("walden.database.up", this, p -> p.verdict().problem().isEmpty() ? 1 : 0)
                .description("1 when the agent's last probe reached the database").register(registry);
        Gauge.builder("walden.pg.archiver.failed.count", this, p -> p.verdict.failedCount() < 0 ? Double.NaN
                        : p.verdict.failedCount())
                .description("pg_stat_archiver.failed_count: archive_command failures PostgreSQL counted")
                .register(registry);
        Gauge.builder("walden.pg.archiver.last.failed.timestamp", this, p -> p.verdict.lastFailed()
                        .map(t -> t.toEpochMilli() / 1000.0).orElse(Double.NaN)).baseUnit("seconds")
                .description("pg_stat_archiver.last_failed_time (Unix time); NaN when none").register(registry);
        Gauge.builder("walden.pg.wal.position", this, p -> p.verdict.walPosition() < 0 ? Double.NaN
                        : p.verdict.walPosition()).baseUnit("bytes")
                .description("pg_current_wal_lsn() in bytes: grows with every WAL record PostgreSQL writes; NaN on a "
                        + "standby or while the database does not answer").register(registry);
    }

    void start() {
        executor.scheduleWithFixedDelay(this::probe, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Probes now, on the calling thread. */
    void probe() {
        runningSince = System.nanoTime();
        try (Connection c = Database.connect(settings, TIMEOUT); Statement s = c.createStatement()) {
            s.setQueryTimeout((int) TIMEOUT.toSeconds());
            // a standby has no current WAL position of its own (the function raises an error there)
            try (ResultSet r = s.executeQuery("SELECT failed_count, extract(epoch FROM last_failed_time),"
                    + " extract(epoch FROM last_archived_time), CASE WHEN pg_is_in_recovery() THEN NULL"
                    + " ELSE pg_current_wal_lsn() - '0/0' END FROM pg_stat_archiver")) {
                r.next();
                long failed = r.getLong(1);
                Optional<Instant> lastFailed = instant(r, 2);
                Optional<Instant> lastArchived = instant(r, 3);
                double position = r.getDouble(4);
                record(new Verdict(Optional.empty(), failed, lastFailed, lastArchived, r.wasNull() ? -1 : position,
                        clock.instant()));
            }
        } catch (SQLException | RuntimeException e) {
            record(Verdict.down(settings.describe() + " does not answer: " + rootMessage(e), clock.instant()));
        } finally {
            runningSince = 0;
        }
    }

    /** A column of Unix seconds as an instant; empty when NULL. */
    private static Optional<Instant> instant(ResultSet r, int column) throws SQLException {
        double seconds = r.getDouble(column);
        return r.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(Math.round(seconds * 1000)));
    }

    /** Keeps the verdict, and logs when the database stopped or started answering. */
    private synchronized void record(Verdict v) {
        Optional<String> problem = v.problem();
        if (problem.isPresent() && downSince == null) {
            downSince = v.at();
            LOG.log(Level.WARNING, problem.get() + "; /health answers 503 until it does");
        } else if (problem.isEmpty() && downSince != null) {
            LOG.log(Level.INFO, settings.describe() + " answers again (no answer for "
                    + Duration.between(downSince, v.at()).toSeconds() + " s)");
            downSince = null;
        }
        verdict = v;
    }

    /** Why, without the "cannot connect to …" our wrapper adds (the verdict names the target itself). */
    private String rootMessage(Exception e) {
        if (e instanceof SQLException && e.getCause() instanceof SQLException cause) {
            return Database.reason(settings, cause);
        }
        return String.valueOf(e.getMessage());
    }

    /** The last verdict; "down" when the probe running now has hung for {@link #STALE_AFTER}. */
    Verdict verdict() {
        long since = runningSince;
        if (since != 0 && System.nanoTime() - since > STALE_AFTER.toNanos()) {
            return new Verdict(Optional.of(settings.describe() + " did not answer within "
                    + STALE_AFTER.toSeconds() + " s"), verdict.failedCount(), verdict.lastFailed(),
                    verdict.lastArchived(), verdict.walPosition(), clock.instant());
        }
        return verdict;
    }

    /** The connection target, for people: never a password. */
    String target() {
        return settings.displayUrl();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
