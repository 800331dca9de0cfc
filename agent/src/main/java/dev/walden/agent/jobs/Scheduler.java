package dev.walden.agent.jobs;

import com.cronutils.model.Cron;
import com.cronutils.model.time.ExecutionTime;
import dev.walden.concurrent.DaemonThreads;
import dev.walden.repo.Json;
import dev.walden.storage.NoSuchObjectException;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one of the agent's schedules (the daily jobs, the restore drill, the verify) on a cron
 * expression in the local time zone. When the agent was down at the time a run was due, it runs
 * once as soon as the agent is back (the last run is recorded in the repository, under
 * {@code state/}); a run never starts while the previous one is still going.
 */
public final class Scheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());
    static final String STATE_KEY = "state/schedule.json";

    private final String what;
    private final String stateKey;
    private final ExecutionTime times;
    private final Clock clock;
    private final java.util.function.Supplier<java.util.concurrent.CompletableFuture<?>> run;
    private final Storage storage;
    private final AtomicBoolean running = new AtomicBoolean();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("walden-schedule"));
    private volatile ZonedDateTime next;

    /** The daily jobs ({@code schedule}), recorded in {@code state/schedule.json}. */
    public Scheduler(Cron cron, Clock clock, AgentJobs jobs, Storage storage) {
        this("scheduled run", STATE_KEY, cron, clock, jobs::scheduledRun, storage);
    }

    /**
     * @param what the run's name in the log ("scheduled drill")
     * @param stateKey where its last run is recorded in the repository
     * @param run starts one run; the future completes when it has ended, however it ended
     */
    public Scheduler(String what, String stateKey, Cron cron, Clock clock,
                     java.util.function.Supplier<java.util.concurrent.CompletableFuture<?>> run, Storage storage) {
        this.what = what;
        this.stateKey = stateKey;
        this.times = ExecutionTime.forCron(cron);
        this.clock = clock;
        this.run = run;
        this.storage = storage;
    }

    public void start() throws IOException {
        ZonedDateTime now = ZonedDateTime.now(clock);
        Optional<Instant> lastRun = lastRun();
        Optional<ZonedDateTime> due = times.lastExecution(now);
        if (lastRun.isEmpty()) {
            record(now.toInstant()); // first start: nothing was missed yet
        } else if (due.isPresent() && lastRun.get().isBefore(due.get().toInstant())) {
            LOG.log(Level.INFO, "the " + what + " due at " + due.get() + " was missed (last run " + lastRun.get()
                    + "); running it now");
            fire();
        }
        scheduleNext();
    }

    /** When the next scheduled run starts. */
    public Optional<ZonedDateTime> next() {
        return Optional.ofNullable(next);
    }

    public boolean running() {
        return running.get();
    }

    private void scheduleNext() {
        ZonedDateTime now = ZonedDateTime.now(clock);
        Optional<ZonedDateTime> at = times.nextExecution(now);
        if (at.isEmpty()) {
            return;
        }
        next = at.get();
        long delay = Math.max(0, Duration.between(now, at.get()).toMillis());
        timer.schedule(() -> {
            try {
                fire();
            } finally {
                scheduleNext(); // whatever happened to this run, the next one is planned
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    private void fire() {
        if (!running.compareAndSet(false, true)) {
            LOG.log(Level.WARNING, "skipping the " + what + ": the previous one is still going");
            return;
        }
        try {
            record(clock.instant());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not record the " + what + ": " + e.getMessage());
        }
        try {
            run.get().whenComplete((ignored, e) -> running.set(false));
        } catch (RuntimeException e) {
            running.set(false);
            LOG.log(Level.WARNING, "could not start the " + what + ": " + e);
        }
    }

    private Optional<Instant> lastRun() throws IOException {
        try (InputStream in = storage.read(stateKey)) {
            Map<?, ?> state = Json.MAPPER.readValue(in, Map.class);
            return Optional.ofNullable(state.get("last_run")).map(Object::toString).map(Instant::parse);
        } catch (NoSuchObjectException e) {
            return Optional.empty();
        }
    }

    private void record(Instant at) throws IOException {
        try (ObjectWriter w = storage.write(stateKey)) {
            Json.MAPPER.writeValue(w.stream(), Map.of("last_run", at.toString()));
            w.commit();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
