package dev.walden.agent.jobs;

import dev.walden.agent.archive.AgentMetrics;
import dev.walden.backup.BaseBackup;
import dev.walden.catalog.AuditLog;
import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.DumpManifest;
import dev.walden.concurrent.DaemonThreads;
import dev.walden.console.Sizes;
import dev.walden.dump.LogicalDump;
import dev.walden.repo.Repository;
import dev.walden.retention.Expirer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's long jobs (base backup, dumps, expiry), one at a time on their own thread: a
 * scheduled run and a requested backup never overlap, and archiving never waits for them.
 */
public final class AgentJobs implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AgentJobs.class.getName());
    /** A backup copying for an hour leaves 60 lines in the log, not one per file. */
    private static final long LOG_COPY_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Repository repository;
    private final JobSetup setup;
    private final BaseBackup.WalSource walSource;
    private final Clock clock;
    private final String owner;
    private final AgentMetrics metrics;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(DaemonThreads.named("walden-jobs"));

    public AgentJobs(Repository repository, JobSetup setup, BaseBackup.WalSource walSource, Clock clock, String owner,
              AgentMetrics metrics) {
        this.metrics = metrics;
        this.repository = repository;
        this.setup = setup;
        this.walSource = walSource;
        this.clock = clock;
        this.owner = owner;
    }

    public JobSetup setup() {
        return setup;
    }

    /**
     * Queues a base backup; progress lines go to {@code progress} as well as to the log.
     *
     * @param trigger who asked, for the audit trail
     */
    public CompletableFuture<BackupManifest> backup(BaseBackup.Progress progress, BaseBackup.Type type,
                                                    String trigger) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return takeBackup(progress, type, trigger);
            } catch (IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, executor);
    }

    private BackupManifest takeBackup(BaseBackup.Progress progress, BaseBackup.Type type, String trigger)
            throws IOException {
        Instant started = clock.instant();
        try {
            BackupManifest m = runBackup(progress, type);
            audit("backup", m.label(), m.isComplete(), m.isComplete() ? m.files().size() + " files, WAL "
                    + m.startWal() + " .. " + m.stopWal() : "incomplete: " + m.statusDetail(), started, trigger);
            return m;
        } catch (IOException | RuntimeException e) {
            audit("backup", "new base backup", false, e.getMessage(), started, trigger);
            throw e;
        }
    }

    private void audit(String action, String target, boolean ok, String detail, Instant started, String trigger) {
        AuditLog.Entry entry = AuditLog.entry(action, target, ok, detail, started, clock, trigger);
        if (new AuditLog(repository.storage()).tryAppend(entry, w -> LOG.log(Level.WARNING, w))) {
            LOG.log(Level.INFO, "audit: " + action + " " + target + " " + entry.result() + " (" + trigger + ")");
        }
    }

    private BackupManifest runBackup(BaseBackup.Progress progress, BaseBackup.Type type) throws IOException {
        progress.report("base backup starting");
        BaseBackup backup = new BaseBackup(repository, setup.settings().connection(), setup.settings().pgdata(),
                setup.settings().backup(), walSource, clock, new BaseBackup.Progress() {
                    private final AtomicLong lastLogged = new AtomicLong(System.nanoTime());

                    @Override
                    public void report(String line) {
                        LOG.log(Level.INFO, line);
                        progress.report(line);
                    }

                    @Override
                    public void copied(long bytesDone, long bytesTotal, long filesDone, long filesTotal) {
                        long now = System.nanoTime();
                        long last = lastLogged.get();
                        if (now - last >= LOG_COPY_EVERY_NANOS && lastLogged.compareAndSet(last, now)) {
                            LOG.log(Level.INFO, "copied " + Sizes.bytes(bytesDone) + " of " + Sizes.bytes(bytesTotal)
                                    + " (" + filesDone + "/" + filesTotal + " files)");
                        }
                        progress.copied(bytesDone, bytesTotal, filesDone, filesTotal);
                    }
                });
        try {
            return backup.run(owner, type);
        } finally {
            metrics.repositoryChanged(); // a failed backup may leave an incomplete one in the catalog
        }
    }

    /**
     * Full on the first scheduled backup of a {@code schedule.full} day (no full backup started
     * that day yet, in the local time zone), incremental otherwise.
     */
    private BaseBackup.Type scheduledType() throws IOException {
        java.time.LocalDate today = java.time.LocalDate.ofInstant(clock.instant(), clock.getZone());
        if (!setup.fullDays().contains(today.getDayOfWeek())) {
            return BaseBackup.Type.INCREMENTAL;
        }
        boolean fullToday = new dev.walden.catalog.BackupCatalog(repository.storage()).list().stream()
                .filter(dev.walden.catalog.BackupCatalog.Entry::usable)
                .filter(e -> !e.manifest().orElseThrow().isIncremental())
                .anyMatch(e -> java.time.LocalDate.ofInstant(e.label().instant(), clock.getZone()).equals(today));
        return fullToday ? BaseBackup.Type.INCREMENTAL : BaseBackup.Type.FULL;
    }

    /** Queues the scheduled run: the configured jobs in order, each one's failure logged, the next still run. */
    public CompletableFuture<Void> scheduledRun() {
        return CompletableFuture.runAsync(() -> {
            List<String> jobs = setup.jobs();
            LOG.log(Level.INFO, "scheduled run: " + String.join(", ", jobs));
            if (jobs.contains("backup")) {
                try {
                    BackupManifest m = takeBackup(line -> {
                    }, scheduledType(), "schedule");
                    if (!m.isComplete()) {
                        LOG.log(Level.WARNING, "scheduled backup " + m.label() + " is incomplete: " + m.statusDetail());
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "scheduled backup failed: " + e.getMessage());
                }
            }
            if (jobs.contains("dump")) {
                LogicalDump dump = new LogicalDump(repository.storage(), setup.settings().connection(),
                        setup.settings().dump(), clock);
                for (String database : setup.settings().dumpDatabases()) {
                    Instant started = clock.instant();
                    try {
                        long start = System.nanoTime();
                        DumpManifest m = dump.dump(database);
                        metrics.dumpFinished(database, java.time.Duration.ofNanos(System.nanoTime() - start));
                        LOG.log(Level.INFO, "dumped " + database + " to " + m.key() + " (" + Sizes.bytes(m.originalBytes())
                                + ", " + m.verification() + ")");
                        audit("dump", database, true, m.key() + ", " + Sizes.bytes(m.storedBytes()) + " stored", started,
                                "schedule");
                    } catch (IOException | RuntimeException e) {
                        LOG.log(Level.WARNING, "dump of " + database + " failed: " + e.getMessage());
                        audit("dump", database, false, e.getMessage(), started, "schedule");
                    }
                }
            }
            if (jobs.contains("expire")) {
                Instant started = clock.instant();
                try {
                    Expirer.Plan plan = new Expirer(repository, setup.settings().retention(), clock).run(owner);
                    LOG.log(Level.INFO, "expired " + plan.summary());
                    audit("expire", repository.storage().describe(), true, plan.summary(), started, "schedule");
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "expiry failed: " + e.getMessage());
                    audit("expire", repository.storage().describe(), false, e.getMessage(), started, "schedule");
                }
            }
            metrics.repositoryChanged();
        }, executor);
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
