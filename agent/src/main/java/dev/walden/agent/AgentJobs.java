package dev.walden.agent;

import dev.walden.backup.BaseBackup;
import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.DumpManifest;
import dev.walden.dump.LogicalDump;
import dev.walden.repo.Repository;
import dev.walden.retention.Expirer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The agent's long jobs (base backup, dumps, expiry), one at a time on their own thread: a
 * scheduled run and a requested backup never overlap, and archiving never waits for them.
 */
public final class AgentJobs implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AgentJobs.class.getName());

    private final Repository repository;
    private final JobSetup setup;
    private final BaseBackup.WalSource walSource;
    private final Clock clock;
    private final String owner;
    private final AgentMetrics metrics;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "walden-jobs");
        t.setDaemon(true);
        return t;
    });

    AgentJobs(Repository repository, JobSetup setup, BaseBackup.WalSource walSource, Clock clock, String owner,
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

    /** Queues a base backup; progress lines go to {@code progress} as well as to the log. */
    public CompletableFuture<BackupManifest> backup(BaseBackup.Progress progress) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return takeBackup(progress);
            } catch (IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, executor);
    }

    private BackupManifest takeBackup(BaseBackup.Progress progress) throws IOException {
        progress.report("base backup starting");
        BaseBackup backup = new BaseBackup(repository, setup.settings().connection(), setup.settings().pgdata(),
                setup.settings().backup(), walSource, clock, line -> {
                    LOG.log(Level.INFO, line);
                    progress.report(line);
                });
        try {
            return backup.run(owner);
        } finally {
            metrics.repositoryChanged(); // a failed backup may leave an incomplete one in the catalog
        }
    }

    /** Queues the scheduled run: the configured jobs in order, each one's failure logged, the next still run. */
    public CompletableFuture<Void> scheduledRun() {
        return CompletableFuture.runAsync(() -> {
            List<String> jobs = setup.jobs();
            LOG.log(Level.INFO, "scheduled run: " + String.join(", ", jobs));
            if (jobs.contains("backup")) {
                try {
                    BackupManifest m = takeBackup(line -> {
                    });
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
                    try {
                        long start = System.nanoTime();
                        DumpManifest m = dump.dump(database);
                        metrics.dumpFinished(database, java.time.Duration.ofNanos(System.nanoTime() - start));
                        LOG.log(Level.INFO, "dumped " + database + " to " + m.key() + " (" + m.originalBytes()
                                + " bytes, " + m.verification() + ")");
                    } catch (IOException | RuntimeException e) {
                        LOG.log(Level.WARNING, "dump of " + database + " failed: " + e.getMessage());
                    }
                }
            }
            if (jobs.contains("expire")) {
                try {
                    Expirer.Plan plan = new Expirer(repository, setup.settings().retention(), clock).run(owner);
                    LOG.log(Level.INFO, "expired " + plan.backups().size() + " backup(s), " + plan.dumps().size()
                            + " dump(s), " + plan.wal().size() + " WAL file(s), " + plan.bytes() + " bytes");
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "expiry failed: " + e.getMessage());
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
