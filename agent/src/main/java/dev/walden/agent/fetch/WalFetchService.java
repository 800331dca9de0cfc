package dev.walden.agent.fetch;

import dev.walden.concurrent.DaemonThreads;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.FetchRequest;
import dev.walden.protocol.Frame;
import dev.walden.repo.CorruptObjectException;
import dev.walden.repo.Repository;
import dev.walden.repo.WalFetcher;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * FETCH: restore_command through the agent. The agent reads the file from the repository, verifies
 * it and writes it where PostgreSQL asked (a temporary name, then a rename), so a native client
 * with no JVM to start can serve a standby or a long replay.
 *
 * <p>After each WAL segment it serves, it reads the next {@value #READ_AHEAD} segments of the
 * timeline ahead, as pgBackRest's async archive-get spools them: each is decompressed, verified
 * and written complete into the directory PostgreSQL asked to write into, under a name of its own
 * ({@value #AHEAD_PREFIX}{@code <segment>}), so that serving it when replay asks is a rename in
 * one directory. A file read ahead but not asked for within {@link #UNCLAIMED} (the recovery
 * stopped at its target, or moved to another timeline) is deleted, as all are when the agent
 * stops.
 *
 * <p>The agent writes only where a restore_command writes: into a directory owned by the agent's
 * own user, under PostgreSQL's names for the file ({@code RECOVERYXLOG}, {@code RECOVERYHISTORY})
 * or the file's own name, and its own read-ahead and temporary names. Anything else is refused, so
 * a client that may reach the socket can't make the agent write elsewhere.
 */
public final class WalFetchService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WalFetchService.class.getName());
    /** Segments kept read ahead of the one served last. */
    static final int READ_AHEAD = 4;
    /**
     * Threads reading ahead. Serving is a rename, so on two cores both may decompress and hash
     * (measured: bench/fetch-bench.sh, docs/performance.md#restore_command).
     */
    static final int READ_AHEAD_THREADS = 2;
    /** The name a segment read ahead has, in the directory it will be served into. */
    static final String AHEAD_PREFIX = ".walden-ahead-";
    /** How long a segment read ahead waits to be asked for before it is deleted. */
    static final Duration UNCLAIMED = Duration.ofMinutes(2);

    private final Repository repository;
    private final WalFetcher fetcher;
    private final WalSegmentSize size;
    private final Clock clock;
    private final String agentUser = System.getProperty("user.name");
    private final ExecutorService serving = Executors.newFixedThreadPool(2, DaemonThreads.named("walden-fetch"));
    private final ExecutorService readingAhead = Executors.newFixedThreadPool(READ_AHEAD_THREADS,
            DaemonThreads.named("walden-fetch-ahead"));
    private final ScheduledExecutorService sweeping = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("walden-fetch-sweep"));
    /** Segments read ahead, by the path of their file, oldest first. */
    private final Map<Path, Ahead> ahead = new LinkedHashMap<>();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong servedAhead = new AtomicLong();

    public WalFetchService(Repository repository) {
        this(repository, Clock.systemUTC());
    }

    WalFetchService(Repository repository, Clock clock) {
        this.repository = repository;
        this.fetcher = new WalFetcher(repository);
        this.size = repository.cluster().segmentSize();
        this.clock = clock;
        sweeping.scheduleWithFixedDelay(this::sweep, 30, 30, TimeUnit.SECONDS);
    }

    /** Serves one FETCH; the future never fails: every outcome is a reply frame. */
    public CompletableFuture<Frame> fetch(FetchRequest request) {
        WalFileName name;
        try {
            name = WalFileName.parse(request.name());
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new ErrorReply(ErrorCode.BAD_NAME, e.getMessage()).toFrame());
        }
        Path destination;
        try {
            destination = destination(request, name);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new ErrorReply(ErrorCode.BAD_REQUEST, e.getMessage()).toFrame());
        }
        return CompletableFuture.supplyAsync(() -> serve(name, destination), serving);
    }

    /** What {@code walden status} shows. */
    public Map<String, String> status() {
        return Map.of("fetch_served", Long.toString(served.get()), "fetch_served_ahead",
                Long.toString(servedAhead.get()));
    }

    private Path destination(FetchRequest request, WalFileName name) {
        Path path;
        try {
            path = Path.of(request.path());
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("'" + request.path() + "' is not a path");
        }
        if (!path.isAbsolute() || !path.normalize().equals(path)) {
            throw new IllegalArgumentException("'" + path + "' is not an absolute, normalized path");
        }
        String file = path.getFileName().toString();
        if (!file.equals("RECOVERYXLOG") && !file.equals("RECOVERYHISTORY") && !file.equals(name.toString())) {
            throw new IllegalArgumentException("the agent writes only RECOVERYXLOG, RECOVERYHISTORY or " + name
                    + ", not '" + file + "'");
        }
        Path directory = path.getParent();
        try {
            if (!Files.isDirectory(directory)) {
                throw new IllegalArgumentException("'" + directory + "' is not a directory");
            }
            String owner = Files.getOwner(directory).getName();
            if (!owner.equals(agentUser)) {
                throw new IllegalArgumentException("'" + directory + "' belongs to " + owner + ", not to the agent's "
                        + "user " + agentUser + "; the agent writes only into its own user's directories");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot inspect '" + directory + "': " + e.getMessage());
        }
        return path;
    }

    private Frame serve(WalFileName name, Path destination) {
        try {
            boolean found;
            if (takeAhead(name, destination)) {
                servedAhead.incrementAndGet();
                found = true;
            } else {
                found = fetcher.fetch(name, destination);
            }
            if (!found) {
                return new ErrorReply(ErrorCode.FILE_NOT_FOUND, "'" + name + "' is not in "
                        + repository.storage().describe()).toFrame();
            }
            served.incrementAndGet();
            if (name.kind() == WalFileName.Kind.SEGMENT) {
                readAheadAfter(name, destination.getParent());
            }
            return Frame.ok("fetched");
        } catch (CorruptObjectException e) {
            return new ErrorReply(ErrorCode.CORRUPT_OBJECT, e.getMessage()).toFrame();
        } catch (IOException | RuntimeException e) {
            return new ErrorReply(ErrorCode.STORAGE_FAILED, "fetching '" + name + "': " + e.getMessage()).toFrame();
        }
    }

    /**
     * Renames the segment read ahead onto {@code destination}, if it was read ahead into that
     * directory and that read found it intact; false when it must be read now (a failed read
     * ahead fails again by the ordinary path, with its own message).
     */
    private boolean takeAhead(WalFileName name, Path destination) throws IOException {
        Ahead entry;
        synchronized (ahead) {
            entry = ahead.remove(aheadFile(destination.getParent(), name));
        }
        if (entry == null) {
            return false;
        }
        try {
            if (!entry.done.join()) {
                return false;
            }
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            return false;
        }
        try {
            Files.move(entry.file, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (IOException e) {
            // gone (someone cleaned the directory) or not movable: read it again
            LOG.log(Level.DEBUG, "serving " + entry.file + " failed: " + e.getMessage());
            deleteQuietly(entry.file);
            return false;
        }
    }

    private void readAheadAfter(WalFileName served, Path directory) {
        long segno = served.segmentNumber(size);
        List<Ahead> dropped = new ArrayList<>();
        synchronized (ahead) {
            for (int i = 1; i <= READ_AHEAD; i++) {
                WalFileName next = WalFileName.segment(served.timeline(), segno + i, size);
                Path file = aheadFile(directory, next);
                if (!ahead.containsKey(file)) {
                    Ahead entry = new Ahead(file, clock.instant());
                    entry.done = readAhead(next, entry);
                    ahead.put(file, entry);
                }
            }
            // a replay that moved on (another timeline, a restart) leaves old entries: keep the newest
            while (ahead.size() > READ_AHEAD + 1) {
                Path oldest = ahead.keySet().iterator().next();
                dropped.add(ahead.remove(oldest));
            }
        }
        dropped.forEach(Ahead::discard);
    }

    private CompletableFuture<Boolean> readAhead(WalFileName name, Ahead entry) {
        return CompletableFuture.supplyAsync(() -> {
            if (entry.discarded) {
                return false; // dropped before its turn came
            }
            try {
                return fetcher.fetch(name, entry.file);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.DEBUG, "reading " + name + " ahead failed: " + e.getMessage());
                throw new CompletionException(e);
            }
        }, readingAhead);
    }

    /** Deletes what was read ahead and not asked for within {@link #UNCLAIMED}. */
    void sweep() {
        Instant oldest = clock.instant().minus(UNCLAIMED);
        List<Ahead> dropped = new ArrayList<>();
        synchronized (ahead) {
            ahead.values().removeIf(entry -> {
                boolean stale = entry.readSince.isBefore(oldest);
                if (stale) {
                    dropped.add(entry);
                }
                return stale;
            });
        }
        dropped.forEach(Ahead::discard);
    }

    private static Path aheadFile(Path directory, WalFileName name) {
        return directory.resolve(AHEAD_PREFIX + name);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot delete " + file + ", a WAL segment read ahead: " + e.getMessage());
        }
    }

    /** A segment read ahead (or being read) into {@code file}. */
    private static final class Ahead {
        final Path file;
        final Instant readSince;
        /** Whether the file is there, complete and verified (false: not in the repository). */
        CompletableFuture<Boolean> done;
        volatile boolean discarded;

        Ahead(Path file, Instant readSince) {
            this.file = file;
            this.readSince = readSince;
        }

        /** Deletes the file once the read is over (a read still running writes it first). */
        void discard() {
            discarded = true;
            done.whenComplete((found, failure) -> deleteQuietly(file));
        }
    }

    /** Stops serving and reading ahead, and deletes every segment read ahead. */
    @Override
    public void close() {
        serving.shutdownNow();
        sweeping.shutdownNow();
        readingAhead.shutdown();
        List<Ahead> dropped;
        synchronized (ahead) {
            dropped = new ArrayList<>(ahead.values());
            ahead.clear();
        }
        dropped.forEach(Ahead::discard);
        try {
            if (!readingAhead.awaitTermination(10, TimeUnit.SECONDS)) {
                readingAhead.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
