package dev.walden.agent.archive;

import dev.walden.concurrent.DaemonThreads;
import dev.walden.config.Durations;
import dev.walden.protocol.ErrorCode;
import dev.walden.wal.WalFileException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;

/**
 * Carries archive requests from the event loop to a bounded pool of workers.
 *
 * <p>Event-loop threads (many producers) offer requests to a bounded JCTools MPSC queue and never
 * block; a full queue is an immediate OVERLOADED answer, and PostgreSQL retries. One dispatcher
 * thread (the single consumer) takes requests in arrival order and hands each to a worker when
 * one of {@code workers} permits is free, so the backlog waits in the queue, where it is bounded
 * and visible, rather than in an executor's unbounded one. A single consumer also gives one place
 * to coalesce duplicates: a request for a path that is already being archived joins that job
 * instead of archiving the file twice, whether a push or the look-ahead ({@link Background})
 * started it. Look-ahead work never enters the queue: the dispatcher hands it to a worker only
 * when one is free and no request is waiting.
 *
 * <p>The queue is JCTools' atomic-field-updater variant: at hundreds of requests a second its
 * speed is the same, and it needs no {@code sun.misc.Unsafe}, which JDK 24+ warns about.
 *
 * <p>Every request gets an answer within {@code storeTimeout}: if its job is still queued or
 * running by then, it is answered STORAGE_TIMEOUT while the work carries on; a stalled storage
 * therefore costs PostgreSQL a retry, never a hang.
 */
public final class ArchiveDispatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ArchiveDispatcher.class.getName());

    private final MpscAtomicArrayQueue<Request> queue;
    private final Intake intake;
    private final Function<WalDirectory.WalFile, ArchiveResult> archiver;
    private final Duration storeTimeout;
    private final Clock clock;
    private final AgentStats stats;
    private final AgentMetrics metrics;
    private final Semaphore permits;
    private final int workerCount;
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;
    private final Thread dispatcher;
    private final ConcurrentHashMap<String, Job> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger running = new AtomicInteger();
    private volatile boolean accepting = true;
    private volatile boolean stopped;
    private volatile Background background;
    private volatile boolean aheadStarted;

    /**
     * One waiting client: answered exactly once, by the job, its deadline or a refusal. Every PUSH
     * answer passes here, so this is where answers are counted.
     */
    private final class Waiter {
        final Consumer<ArchiveResult> reply;
        /** When the request arrived (System.nanoTime), for the latency from request to answer. */
        final long received = System.nanoTime();
        final AtomicBoolean answered = new AtomicBoolean();
        volatile ScheduledFuture<?> deadline;

        Waiter(Consumer<ArchiveResult> reply) {
            this.reply = reply;
        }

        /** Returns whether this call answered (false: it had been answered already). */
        boolean answer(ArchiveResult result) {
            if (!answered.compareAndSet(false, true)) {
                return false;
            }
            ScheduledFuture<?> d = deadline;
            if (d != null) {
                d.cancel(false);
            }
            try {
                if (result instanceof ArchiveResult.Failed f) {
                    stats.answeredWith(f, clock.instant());
                } else {
                    stats.answeredOk(clock.instant());
                }
                metrics.pushAnswered(result, Duration.ofNanos(System.nanoTime() - received));
            } finally {
                reply.accept(result);
            }
            return true;
        }
    }

    private record Request(String path, Waiter waiter) {
    }

    /**
     * Checks and resolves a requested path once, as the request leaves the queue: from then on
     * it is a {@link WalDirectory.WalFile}, and a push and a look-ahead of one file meet on its
     * resolved path however each spelled it.
     */
    @FunctionalInterface
    public interface Intake {
        WalDirectory.WalFile resolve(String requested) throws WalFileException;
    }

    /**
     * Work for idle workers when no push is waiting: files to archive before PostgreSQL asks
     * (look-ahead). A push that arrives for a file being archived ahead joins that job.
     */
    interface Background {
        /** The next path to archive ahead, if any; it passes the same {@link Intake} as a push. */
        Optional<String> next();

        /** Archiving {@code path} ahead failed; nobody was waiting for it. */
        void failed(String path, ArchiveResult.Failed result);
    }

    /**
     * A file being archived and everyone waiting for it; waiters and after are guarded by
     * inFlight's bin lock. Jobs are keyed by the WAL file's name, so one name is archived by one
     * job at a time: a standby's copy of the same file (archive_mode = always) waits in
     * {@code after} and is compared with what this job stored once it is done, never stored
     * beside it (a shared archive must settle a name race-free).
     */
    private static final class Job {
        /** As requested, for the log. */
        final String path;
        final WalDirectory.WalFile file;
        /** Started by the look-ahead: nobody asked for it (though pushes may join). */
        final boolean ahead;
        final List<Waiter> waiters = new ArrayList<>(1);
        /** Requests for the same name from another directory: queued again when this job is done. */
        final List<Request> after = new ArrayList<>(0);

        Job(String path, WalDirectory.WalFile file, boolean ahead) {
            this.path = path;
            this.file = file;
            this.ahead = ahead;
        }

        /** The file's name: one job per name, however its path was spelled and wherever it lies. */
        String key() {
            return file.name().toString();
        }
    }

    public ArchiveDispatcher(Intake intake, Function<WalDirectory.WalFile, ArchiveResult> archiver, int workers,
                             int queueCapacity, Duration storeTimeout, Clock clock, AgentStats stats) {
        this(intake, archiver, workers, queueCapacity, storeTimeout, clock, stats, AgentMetrics.NONE);
    }

    public ArchiveDispatcher(Intake intake, Function<WalDirectory.WalFile, ArchiveResult> archiver, int workers,
                             int queueCapacity, Duration storeTimeout, Clock clock, AgentStats stats,
                             AgentMetrics metrics) {
        this.intake = intake;
        this.archiver = archiver;
        this.metrics = metrics;
        this.queue = new MpscAtomicArrayQueue<>(queueCapacity);
        this.storeTimeout = storeTimeout;
        this.clock = clock;
        this.stats = stats;
        this.workerCount = workers;
        this.permits = new Semaphore(workers);
        this.workers = Executors.newFixedThreadPool(workers, DaemonThreads.numbered("walden-worker"));
        this.timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.numbered("walden-deadlines"));
        this.dispatcher = DaemonThreads.start("walden-dispatcher-1", this::dispatchLoop);
    }

    /**
     * Queues a request; {@code reply} is called exactly once: from a worker or timer thread, or
     * at once, on the caller's thread, when the request is refused.
     *
     * @return false when the request was refused (OVERLOADED: the queue is full; SHUTTING_DOWN)
     */
    public boolean submit(String path, Consumer<ArchiveResult> reply) {
        Waiter waiter = new Waiter(reply);
        if (!accepting) {
            waiter.answer(shuttingDown());
            return false;
        }
        if (!queue.offer(new Request(path, waiter))) {
            waiter.answer(new ArchiveResult.Failed(ErrorCode.OVERLOADED, "the agent's queue is full (" + queue.size()
                    + " requests waiting for " + workerCount + " workers); PostgreSQL will retry"));
            return false;
        }
        waiter.deadline = timer.schedule(() -> waiter.answer(new ArchiveResult.Failed(ErrorCode.STORAGE_TIMEOUT,
                "'" + path + "' was not stored within " + Durations.format(storeTimeout) + " (storage slow or stalled;"
                        + " " + queue.size() + " queued, " + running.get() + " being archived); the agent keeps trying"
                        + " and PostgreSQL will retry")), storeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        LockSupport.unpark(dispatcher);
        return true;
    }

    /**
     * Idle workers archive what {@code source} offers once {@link #startLookAhead()} is called;
     * {@link #wake()} when it has more.
     */
    public void lookAheadFrom(Background source) {
        this.background = source;
    }

    /** Lets idle workers take look-ahead work (after the index is loaded, so nothing is stored twice). */
    public void startLookAhead() {
        aheadStarted = true;
        wake();
    }

    /** New background work may be there: look now rather than at the next idle tick. */
    public void wake() {
        LockSupport.unpark(dispatcher);
    }

    public int queued() {
        return queue.size();
    }

    public int running() {
        return running.get();
    }

    public int workers() {
        return workerCount;
    }

    private void dispatchLoop() {
        while (!stopped) {
            Request request = queue.relaxedPoll();
            if (request == null) {
                if (!startAhead()) {
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(50));
                }
                continue;
            }
            if (request.waiter.answered.get()) {
                continue; // timed out while queued; PostgreSQL has already moved on to a retry
            }
            WalDirectory.WalFile file;
            try {
                file = intake.resolve(request.path);
            } catch (WalFileException e) {
                refuse(request, WireCodes.refusal(e));
                continue;
            }
            String key = file.name().toString();
            boolean[] joined = {false};
            inFlight.computeIfPresent(key, (k, job) -> {
                if (job.file.path().equals(file.path())) {
                    job.waiters.add(request.waiter);
                } else {
                    job.after.add(request); // another directory's copy: checked against what this job stores
                }
                joined[0] = true;
                return job;
            });
            if (joined[0]) {
                continue;
            }
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                request.waiter.answer(shuttingDown());
                break;
            }
            if (stopped) { // shutdown began while we waited for a worker
                permits.release();
                request.waiter.answer(shuttingDown());
                break;
            }
            Job job = new Job(request.path, file, false);
            job.waiters.add(request.waiter);
            start(job);
        }
        // whatever is still queued gets an answer rather than a timeout
        Request left;
        while ((left = queue.poll()) != null) {
            left.waiter.answer(shuttingDown());
        }
    }

    /** Starts one look-ahead job when a worker is free and no push waits; returns whether it did. */
    private boolean startAhead() {
        Background source = background;
        if (source == null || !aheadStarted || !accepting || !permits.tryAcquire()) {
            return false;
        }
        Optional<String> next = source.next();
        if (next.isEmpty()) {
            permits.release();
            return false;
        }
        WalDirectory.WalFile file;
        try {
            file = intake.resolve(next.get());
        } catch (WalFileException e) {
            permits.release(); // PostgreSQL's own push will meet the problem and report it
            source.failed(next.get(), WireCodes.refusal(e));
            return true;
        }
        Job job = new Job(next.get(), file, true);
        if (inFlight.putIfAbsent(job.key(), job) != null) {
            permits.release(); // a push of it is being archived already
            return true;
        }
        running.incrementAndGet();
        workers.execute(() -> run(job));
        return true;
    }

    /** Only the dispatcher thread adds jobs, so nothing can have started this file since the join check. */
    private void start(Job job) {
        inFlight.put(job.key(), job);
        running.incrementAndGet();
        workers.execute(() -> run(job));
    }

    /** A request whose path did not pass the intake: answered at once, never a job. */
    private void refuse(Request request, ArchiveResult.Failed refused) {
        LOG.log(Level.WARNING, "refused " + request.path + ": " + refused.message());
        if (!request.waiter.answer(refused)) {
            stats.failedAt(refused, clock.instant());
        }
    }

    private void run(Job job) {
        ArchiveResult result = null;
        long start = System.nanoTime();
        try {
            result = archiver.apply(job.file);
        } catch (Throwable e) { // an Error too (e.g. a native library that won't load): answer, never strand
            result = new ArchiveResult.Failed(ErrorCode.INTERNAL, "internal error archiving '" + job.path + "': " + e);
            LOG.log(Level.ERROR, "internal error archiving " + job.path, e);
        } finally {
            metrics.workerBusy(Duration.ofNanos(System.nanoTime() - start));
            running.decrementAndGet();
            permits.release();
            if (result == null) {
                result = new ArchiveResult.Failed(ErrorCode.INTERNAL, "internal error archiving '" + job.path + "'");
            }
            finish(job, result);
            LockSupport.unpark(dispatcher); // a worker is free: more look-ahead may start
        }
    }

    private void finish(Job job, ArchiveResult result) {
        boolean answeredSomeone = false;
        try {
            if (result instanceof ArchiveResult.Stored stored) {
                stats.stored(stored, clock.instant());
            }
            log(job, result);
        } finally {
            // Joins happen under inFlight's lock for this key, so they are all ordered before this
            // removal and visible after it; after it, nobody can join this job any more.
            inFlight.remove(job.key(), job);
            for (Waiter waiter : job.waiters) {
                answeredSomeone |= waiter.answer(result);
            }
            for (Request request : job.after) {
                if (stopped) {
                    request.waiter.answer(shuttingDown());
                } else if (!queue.offer(request)) {
                    request.waiter.answer(new ArchiveResult.Failed(ErrorCode.OVERLOADED, "the agent's queue is full; "
                            + "PostgreSQL will retry"));
                }
            }
            if (!job.after.isEmpty()) {
                LockSupport.unpark(dispatcher);
            }
        }
        if (!answeredSomeone && result instanceof ArchiveResult.Failed failed) {
            if (job.ahead) {
                // nobody asked yet: PostgreSQL's own push will meet the problem and report it
                Background source = background;
                if (source != null) {
                    source.failed(job.path, failed);
                }
            } else {
                stats.failedAt(failed, clock.instant());
            }
        }
    }

    private static void log(Job job, ArchiveResult result) {
        String ahead = job.ahead ? " (ahead of PostgreSQL's request)" : "";
        switch (result) {
            case ArchiveResult.Stored s -> LOG.log(Level.INFO, s.describe() + ahead);
            case ArchiveResult.Failed f -> {
                if (job.ahead && job.waiters.isEmpty()) {
                    LOG.log(Level.WARNING, "look-ahead of " + job.path + " failed: " + f.message()
                            + "; PostgreSQL's own request will try again");
                } else {
                    LOG.log(Level.WARNING, "refused " + job.path + ": " + f.message());
                }
            }
        }
    }

    private static ArchiveResult shuttingDown() {
        return new ArchiveResult.Failed(ErrorCode.SHUTTING_DOWN, "the agent is shutting down; PostgreSQL will retry");
    }

    /**
     * Stops accepting, answers queued requests SHUTTING_DOWN, and waits up to {@code grace} for
     * files already being archived, so a clean shutdown never abandons a half-written object.
     */
    public void shutdown(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        accepting = false;
        stopped = true;
        LockSupport.unpark(dispatcher);
        try {
            dispatcher.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            dispatcher.interrupt(); // still waiting for a permit only if every worker is stuck
            workers.shutdown();
            if (!workers.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                LOG.log(Level.WARNING, running.get() + " file(s) still being archived after " + Durations.format(grace)
                        + "; stopping anyway (their temporary files are removed later)");
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            workers.shutdownNow();
        }
        timer.shutdownNow();
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(30));
    }
}
