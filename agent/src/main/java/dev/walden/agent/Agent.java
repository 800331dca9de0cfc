package dev.walden.agent;

import dev.walden.agent.archive.AgentMetrics;
import dev.walden.agent.archive.AgentStats;
import dev.walden.agent.archive.ArchiveDispatcher;
import dev.walden.agent.archive.ArchivedIndex;
import dev.walden.agent.archive.LookAhead;
import dev.walden.agent.archive.PgWalSource;
import dev.walden.agent.archive.ReadyWatcher;
import dev.walden.agent.archive.SegmentArchiver;
import dev.walden.agent.archive.WalDirectory;
import dev.walden.agent.fetch.WalFetchService;
import dev.walden.agent.jobs.AgentJobs;
import dev.walden.agent.jobs.JobSetup;
import dev.walden.agent.jobs.ProofJobs;
import dev.walden.agent.jobs.Scheduler;
import dev.walden.agent.server.AgentServer;
import dev.walden.agent.server.AgentSocket;
import dev.walden.agent.server.DescriptorBudget;
import dev.walden.agent.stream.StreamSettings;
import dev.walden.agent.stream.WalStreamer;
import dev.walden.concurrent.DaemonThreads;
import dev.walden.config.Durations;
import dev.walden.protocol.FrameCodec;
import dev.walden.protocol.WaldenVersion;
import dev.walden.repo.Repository;
import dev.walden.storage.HostName;
import dev.walden.storage.Storage;
import dev.walden.storage.StorageLock;
import dev.walden.storage.StorageLockedException;
import dev.walden.wal.ClusterIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The running agent, wired: cluster identity → repository (and its writer lock) → archiver →
 * dispatcher → socket server. {@link #close()} shuts down in the order that loses nothing: stop accepting
 * connections, answer what is queued, let running files finish, then release the socket.
 */
public final class Agent implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Agent.class.getName());
    /** How long a connection may stay silent before the agent closes it. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(120);
    /** Temporary objects older than this are leftovers of a crash; no write takes this long. */
    static final Duration ABANDONED_AFTER = Duration.ofHours(1);
    /** The look-ahead's safety net: a full scan of archive_status this often, whatever the watch says. */
    static final Duration RESCAN_EVERY = Duration.ofSeconds(10);

    private final AgentConfig config;
    private final Repository repository;
    private final StorageLock writerLock;
    private final ArchiveDispatcher dispatcher;
    private final AgentStats stats;
    private final AgentSocket socket;
    private final AgentServer server;
    private final ScheduledExecutorService housekeeping;
    private final AgentJobs jobs;
    private final Scheduler scheduler;
    private final ProofJobs proofs;
    private final List<Scheduler> proofSchedules;
    private final WalFetchService fetch;
    private final ArchivedIndex index;
    private final Optional<ReadyWatcher> watcher;
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile Optional<WalStreamer> stream = Optional.empty();

    private Agent(AgentConfig config, Repository repository, StorageLock writerLock, ArchiveDispatcher dispatcher,
                  AgentStats stats, AgentSocket socket, AgentServer server, ScheduledExecutorService housekeeping,
                  AgentJobs jobs, Scheduler scheduler, ProofJobs proofs, List<Scheduler> proofSchedules,
                  WalFetchService fetch, ArchivedIndex index, Optional<ReadyWatcher> watcher) {
        this.fetch = fetch;
        this.config = config;
        this.repository = repository;
        this.writerLock = writerLock;
        this.dispatcher = dispatcher;
        this.stats = stats;
        this.socket = socket;
        this.server = server;
        this.housekeeping = housekeeping;
        this.jobs = jobs;
        this.scheduler = scheduler;
        this.proofs = proofs;
        this.proofSchedules = proofSchedules;
        this.index = index;
        this.watcher = watcher;
    }

    /**
     * Starts the agent for the cluster in {@code config.pgdata()} on an existing repository (made
     * by {@code walden init}).
     *
     * @throws IOException naming what stops it: no repository, a repository of another cluster,
     *     another agent writing to the repository or owning the socket, too few file descriptors
     *     for agent.max_connections
     */
    public static Agent start(AgentConfig config, Storage storage, Clock clock) throws IOException {
        return start(config, storage, clock, Optional.empty());
    }

    /**
     * Starts the agent; with {@code jobs}, it also takes base backups on request (BACKUP) and runs
     * the daily schedule.
     */
    public static Agent start(AgentConfig config, Storage storage, Clock clock, Optional<JobSetup> jobs)
            throws IOException {
        return start(config, storage, clock, jobs, AgentMetrics.NONE);
    }

    /** Starts the agent, reporting what it does to {@code metrics} as it happens. */
    public static Agent start(AgentConfig config, Storage storage, Clock clock, Optional<JobSetup> jobs,
                              AgentMetrics metrics) throws IOException {
        DescriptorBudget.checkThisProcess(config.maxConnections());
        WalDirectory walDirectory = new WalDirectory(config.pgdata(), config.pgWal());
        ClusterIdentity cluster = ClusterIdentity.read(config.pgdata(), config.pgWal());
        Repository repository = Repository.open(storage);
        repository.checkBelongsTo(cluster);
        String owner = "walden agent (pid " + ProcessHandle.current().pid() + " on " + HostName.get() + ")";
        StorageLock writerLock;
        try {
            writerLock = storage.lock("writer", owner);
        } catch (StorageLockedException e) {
            throw new IOException(e.holder() + " is already archiving into " + storage.describe()
                    + "; one agent per repository", e);
        }
        AgentSocket socket = null;
        ArchiveDispatcher dispatcher = null;
        AgentJobs agentJobs = null;
        Scheduler scheduler = null;
        List<Scheduler> proofSchedules = new ArrayList<>();
        ProofJobs proofs = null;
        WalFetchService fetch = null;
        Optional<ReadyWatcher> watcher = Optional.empty();
        try {
            socket = AgentSocket.claim(config.socket(), config.socketGroup());
            AgentStats stats = new AgentStats(clock.instant());
            ArchivedIndex index = config.lookAhead() ? new ArchivedIndex() : ArchivedIndex.disabled();
            SegmentArchiver archiver = new SegmentArchiver(walDirectory, repository, config.compression(),
                    config.compressionLevel(), clock, index, SegmentArchiver.MAX_HELD_BYTES);
            dispatcher = new ArchiveDispatcher(walDirectory::resolve, archiver::archive, config.workers(),
                    config.queueCapacity(), config.storeTimeout(), clock, stats, metrics);
            if (config.lookAhead()) {
                watcher = lookAhead(config, repository, index, dispatcher);
            }
            if (jobs.isPresent()) {
                // dumps are named in local time, as the daily pg_dump cron script walden replaces named them
                agentJobs = new AgentJobs(repository, jobs.get(), new PgWalSource(archiver, config.pgWal()),
                        clock.withZone(java.time.ZoneId.systemDefault()), owner, metrics);
            }
            Agent[] self = new Agent[1];
            fetch = new WalFetchService(repository);
            AgentServer server = AgentServer.start(socket, dispatcher, Optional.ofNullable(agentJobs),
                    () -> self[0].status(),
                    new AgentServer.Limits(IDLE_TIMEOUT, config.frameTimeout(), config.maxConnections()), metrics,
                    Optional.of(fetch));
            ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("walden-housekeeping"));
            // from the start, but not before listening: on a local repository it walks every file, which on a
            // large one takes longer than PostgreSQL, started after the agent, should wait for its first archive
            housekeeping.scheduleWithFixedDelay(() -> removeAbandonedWrites(storage), 0, 1, TimeUnit.HOURS);
            if (agentJobs != null && jobs.get().schedule().isPresent()) {
                scheduler = new Scheduler(jobs.get().schedule().get(), Clock.systemDefaultZone(), agentJobs, storage);
            }
            if (jobs.isPresent()) {
                proofs = new ProofJobs(storage, jobs.get().configFile(), Path.of(System.getProperty("walden.home", "."))
                        .toAbsolutePath().resolve("bin/walden"), clock, metrics);
                proofs.loadHistory();
                ProofJobs p = proofs;
                jobs.get().drillSchedule().ifPresent(cron -> proofSchedules.add(new Scheduler("scheduled drill",
                        "state/schedule-drill.json", cron, Clock.systemDefaultZone(), p::drill, storage)));
                jobs.get().verifySchedule().ifPresent(cron -> proofSchedules.add(new Scheduler("scheduled verify",
                        "state/schedule-verify.json", cron, Clock.systemDefaultZone(), p::verify, storage)));
            }
            self[0] = new Agent(config, repository, writerLock, dispatcher, stats, socket, server, housekeeping,
                    agentJobs, scheduler, proofs, proofSchedules, fetch, index, watcher);
            LOG.log(Level.INFO, "walden agent " + WaldenVersion.get() + " listening on " + config.socket() + ", archiving "
                    + config.pgWal() + " of " + cluster + " into " + storage.describe() + " (" + config.workers()
                    + " workers, " + config.compression().configName() + (watcher.isPresent() ? ", look-ahead" : "")
                    + ")");
            AgentWarmup.start(config.socket(), config.compression(), config.compressionLevel());
            if (scheduler != null) {
                scheduler.start();
                LOG.log(Level.INFO, "next scheduled run (" + String.join(", ", jobs.get().jobs()) + ") at "
                        + scheduler.next().map(Object::toString).orElse("never"));
            }
            for (Scheduler proof : proofSchedules) {
                proof.start();
            }
            return self[0];
        } catch (IOException | RuntimeException e) {
            watcher.ifPresent(ReadyWatcher::close);
            if (scheduler != null) {
                scheduler.close();
            }
            proofSchedules.forEach(Scheduler::close);
            if (proofs != null) {
                proofs.close();
            }
            if (fetch != null) {
                fetch.close();
            }
            if (agentJobs != null) {
                agentJobs.close();
            }
            if (dispatcher != null) {
                dispatcher.shutdown(Duration.ZERO);
            }
            if (socket != null) {
                socket.close();
            }
            writerLock.close();
            throw e;
        }
    }

    /**
     * Starts archiving ahead: the index of what is stored is loaded (one listing of the repository,
     * on the watcher's thread, so a large S3 prefix doesn't delay the socket), then every file
     * PostgreSQL marks ready is offered to idle workers. Without archive_status (not a data
     * directory PostgreSQL has started?) the agent archives only what it is asked to.
     */
    private static Optional<ReadyWatcher> lookAhead(AgentConfig config, Repository repository, ArchivedIndex index,
                                                    ArchiveDispatcher dispatcher) {
        java.nio.file.Path archiveStatus = config.pgWal().resolve("archive_status");
        LookAhead ahead = new LookAhead(archiveStatus, index, System::nanoTime);
        dispatcher.lookAheadFrom(ahead);
        boolean[] loaded = {false};
        try {
            ReadyWatcher watcher = new ReadyWatcher(archiveStatus, RESCAN_EVERY, names -> {
                if (!loaded[0]) { // the watcher's thread only, once: a big S3 listing doesn't delay the socket
                    loaded[0] = true;
                    loadIndex(repository, index, names);
                    dispatcher.startLookAhead();
                }
                ahead.ready(names);
                dispatcher.wake();
            });
            return Optional.of(watcher);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "look-ahead off: cannot watch " + archiveStatus + " (" + e.getMessage()
                    + "); files are archived when PostgreSQL asks");
            return Optional.empty();
        }
    }

    private static void loadIndex(Repository repository, ArchivedIndex index, java.util.List<String> ready) {
        try {
            index.load(repository, java.util.Set.copyOf(ready));
            LOG.log(Level.INFO, "look-ahead: " + ready.size() + " file(s) ready, " + index.size() + " of them already "
                    + "archived");
        } catch (IOException | RuntimeException e) {
            // without the index every file goes the long way (checksums compared): slower, still right
            LOG.log(Level.WARNING, "look-ahead: could not list the repository: " + e.getMessage());
        }
    }

    private static void removeAbandonedWrites(Storage storage) {
        try {
            int removed = storage.removeAbandonedWrites(ABANDONED_AFTER);
            if (removed > 0) {
                LOG.log(Level.INFO, "removed " + removed + " temporary file(s) left by interrupted writes");
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not remove temporary files left by interrupted writes: " + e.getMessage());
        }
    }

    public AgentStats stats() {
        return stats;
    }

    public Repository repository() {
        return repository;
    }

    public AgentConfig config() {
        return config;
    }

    public ArchiveDispatcher dispatcher() {
        return dispatcher;
    }

    /**
     * Starts streaming WAL ({@code agent.stream = on}) beside archiving; the agent stops it when
     * it closes.
     */
    public synchronized void startStreaming(StreamSettings settings, Clock clock) throws IOException {
        if (stream.isPresent()) {
            throw new IllegalStateException("already streaming");
        }
        // the fastest level: a streamed segment lives only until archive_command's copy arrives, and under a
        // write-heavy load the stream compresses every byte of WAL a second time, on the database's CPUs
        stream = Optional.of(WalStreamer.start(settings, repository, config.pgWal(), config.compression(),
                config.compression().fastestLevel(), clock));
    }

    /** The WAL stream, when agent.stream is on. */
    public Optional<WalStreamer> stream() {
        return stream;
    }

    /** What STATUS reports. */
    public Map<String, String> status() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("agent_version", WaldenVersion.get());
        values.put("protocol_version", Integer.toString(FrameCodec.VERSION));
        values.put("pid", Long.toString(ProcessHandle.current().pid()));
        values.put("pg_wal", config.pgWal().toString());
        values.put("repository", repository.storage().describe());
        values.put("system_identifier", Long.toUnsignedString(repository.cluster().systemIdentifier()));
        values.put("pg_major", Integer.toString(repository.cluster().pgMajor()));
        values.put("workers", Integer.toString(dispatcher.workers()));
        values.put("queued", Integer.toString(dispatcher.queued()));
        values.put("running", Integer.toString(dispatcher.running()));
        values.put("look_ahead", watcher.isPresent() ? "on" : "off");
        values.put("indexed_wal", Integer.toString(index.size()));
        values.putAll(stats.snapshot());
        if (scheduler != null) {
            values.put("next_scheduled_run", scheduler.next().map(Object::toString).orElse(""));
            values.put("scheduled_run_in_progress", Boolean.toString(scheduler.running()));
        }
        if (proofs != null) {
            values.putAll(proofs.status());
        }
        values.putAll(fetch.status());
        stream.ifPresent(s -> values.putAll(s.state().status()));
        return values;
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitClose() throws InterruptedException {
        closed.await();
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed.getCount() == 0) {
            return;
        }
        LOG.log(Level.INFO, "agent shutting down; waiting up to " + Durations.format(config.shutdownTimeout())
                + " for files being archived");
        try {
            stream.ifPresent(WalStreamer::close); // what it received and did not store stays in the slot
            server.stopAccepting();
            watcher.ifPresent(ReadyWatcher::close);
            if (scheduler != null) {
                scheduler.close();
            }
            proofSchedules.forEach(Scheduler::close);
            if (proofs != null) {
                proofs.close(); // a drill still running gets SIGTERM and removes its copy
            }
            fetch.close();
            dispatcher.shutdown(config.shutdownTimeout());
            if (jobs != null) {
                jobs.close(); // a backup still running is aborted: PostgreSQL ends it with its session
            }
            server.close();
            housekeeping.shutdownNow();
        } finally {
            try {
                socket.close();
            } finally {
                writerLock.close();
                closed.countDown();
                LOG.log(Level.INFO, "agent stopped");
            }
        }
    }
}
