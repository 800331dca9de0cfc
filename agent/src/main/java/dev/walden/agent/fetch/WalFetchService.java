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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * FETCH: restore_command through the agent. The agent reads the file from the repository, verifies
 * it and writes it where PostgreSQL asked (a temporary name, then a rename), so a native client
 * with no JVM to start can serve a standby or a long replay. After each WAL segment it serves, it
 * reads the next {@value #READ_AHEAD} segments of the timeline ahead into memory, verified, on a
 * thread of their own: replay asks for them next, and then they are written without waiting for
 * the repository.
 *
 * <p>The agent writes only where a restore_command writes: into a directory owned by the agent's
 * own user, under PostgreSQL's names for the file ({@code RECOVERYXLOG}, {@code RECOVERYHISTORY})
 * or the file's own name. Anything else is refused, so a client that may reach the socket can't
 * make the agent write elsewhere.
 */
public final class WalFetchService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WalFetchService.class.getName());
    /**
     * Segments read ahead after each one served, one at a time: measured on two cores, a second
     * thread reading ahead made each fetch slower (54 → 93 ms a file), competing with the one that
     * writes (docs/performance.md).
     */
    static final int READ_AHEAD = 2;
    /** A segment larger than this is never held in memory (64 MiB: four default segments). */
    private static final int MAX_HELD_BYTES = 64 << 20;

    private final Repository repository;
    private final WalFetcher fetcher;
    private final WalSegmentSize size;
    private final String agentUser = System.getProperty("user.name");
    private final ExecutorService serving = Executors.newFixedThreadPool(2, DaemonThreads.named("walden-fetch"));
    private final ExecutorService readingAhead = Executors.newSingleThreadExecutor(
            DaemonThreads.named("walden-fetch-ahead"));
    /** Segments read ahead, by name, oldest first; at most {@link #READ_AHEAD} + 1. */
    private final Map<String, CompletableFuture<Optional<byte[]>>> ahead = new LinkedHashMap<>();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong servedAhead = new AtomicLong();

    public WalFetchService(Repository repository) {
        this.repository = repository;
        this.fetcher = new WalFetcher(repository);
        this.size = repository.cluster().segmentSize();
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
            boolean found = false;
            Optional<byte[]> held = takeAhead(name);
            if (held.isPresent()) {
                WalFetcher.write(held.get(), destination);
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
                readAheadAfter(name);
            }
            return Frame.ok("fetched");
        } catch (CorruptObjectException e) {
            return new ErrorReply(ErrorCode.CORRUPT_OBJECT, e.getMessage()).toFrame();
        } catch (IOException | RuntimeException e) {
            return new ErrorReply(ErrorCode.STORAGE_FAILED, "fetching '" + name + "': " + e.getMessage()).toFrame();
        }
    }

    /** The segment, if it was read ahead and that read found it intact; else empty (then it is read now). */
    private Optional<byte[]> takeAhead(WalFileName name) {
        CompletableFuture<Optional<byte[]>> future;
        synchronized (ahead) {
            future = ahead.remove(name.toString());
        }
        if (future == null) {
            return Optional.empty();
        }
        try {
            return future.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            return Optional.empty(); // read again, and fail, by the ordinary path, with its own message
        }
    }

    private void readAheadAfter(WalFileName served) {
        long segno = served.segmentNumber(size);
        synchronized (ahead) {
            for (int i = 1; i <= READ_AHEAD; i++) {
                WalFileName next = WalFileName.segment(served.timeline(), segno + i, size);
                if (ahead.containsKey(next.toString())) {
                    continue;
                }
                ahead.put(next.toString(), CompletableFuture.supplyAsync(() -> readQuietly(next), readingAhead));
            }
            // a replay that moved on (another timeline, a restart) leaves old entries: keep the newest
            while (ahead.size() > READ_AHEAD + 1) {
                String oldest = ahead.keySet().iterator().next();
                ahead.remove(oldest).cancel(false);
            }
        }
    }

    private Optional<byte[]> readQuietly(WalFileName name) {
        try {
            return fetcher.read(name, Math.min(size.bytes(), MAX_HELD_BYTES));
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "reading " + name + " ahead failed: " + e.getMessage());
            throw new CompletionException(e);
        }
    }

    @Override
    public void close() {
        serving.shutdownNow();
        readingAhead.shutdownNow();
    }
}
