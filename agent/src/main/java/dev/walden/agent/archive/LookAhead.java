package dev.walden.agent.archive;

import dev.walden.wal.WalFileName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.LongSupplier;

/**
 * The files PostgreSQL has finished ({@code archive_status/<name>.ready}) that the agent may
 * archive before PostgreSQL asks: history files first (recovery needs them to choose a timeline),
 * then oldest first. The agent only ever reads these files; renaming {@code .ready} to
 * {@code .done} stays PostgreSQL's job, done when its own push is answered.
 *
 * <p>Memory is bounded by what is in {@code archive_status} (names only). A file whose look-ahead
 * failed is left to PostgreSQL's push for {@link #RETRY_AFTER_NANOS}, which reports the reason in
 * its log, instead of being retried in a tight loop.
 */
public final class LookAhead implements ArchiveDispatcher.Background {
    static final long RETRY_AFTER_NANOS = 60_000_000_000L;
    /** History files before everything else, then by name: timeline, then segment, oldest first. */
    static final Comparator<String> ORDER = Comparator.comparing((String n) -> !n.endsWith(".history"))
            .thenComparing(Comparator.naturalOrder());

    private final Path pgdata;
    private final Path archiveStatus;
    private final ArchivedIndex index;
    private final LongSupplier nanos;
    private final ConcurrentSkipListSet<String> candidates = new ConcurrentSkipListSet<>(ORDER);
    private final Map<String, Long> failedAt = new ConcurrentHashMap<>();

    /**
     * @param pgdata PostgreSQL's data directory: files are named as its archiver names them
     *     ({@code pg_wal/<name>}, relative to it), so a push and a look-ahead of one file meet
     * @param archiveStatus {@code pg_wal/archive_status}
     */
    public LookAhead(Path pgdata, Path archiveStatus, ArchivedIndex index, LongSupplier nanos) {
        this.pgdata = pgdata;
        this.archiveStatus = archiveStatus;
        this.index = index;
        this.nanos = nanos;
    }

    /** The names now ready (from a scan of archive_status): new ones become candidates, gone ones are dropped. */
    public void ready(Collection<String> names) {
        Set<String> now = Set.copyOf(names);
        // once PostgreSQL marked a file done, nobody asks for it again: the index keeps ready files only
        index.retainOnly(now);
        candidates.retainAll(now);
        failedAt.keySet().retainAll(now);
        long t = nanos.getAsLong();
        for (String name : names) {
            if (!isWalName(name) || index.confirmed(name)) {
                continue;
            }
            Long failed = failedAt.get(name);
            if (failed == null || t - failed >= RETRY_AFTER_NANOS) {
                candidates.add(name);
            }
        }
    }

    /** The next file to archive ahead ({@code pg_wal/<name>}), if one is still waiting for PostgreSQL. */
    @Override
    public Optional<String> next() {
        String name;
        while ((name = candidates.pollFirst()) != null) {
            // PostgreSQL may have archived it meanwhile (its push came first): .ready is gone then
            if (!index.confirmed(name) && Files.exists(archiveStatus.resolve(name + ".ready"))) {
                return Optional.of("pg_wal/" + name);
            }
        }
        return Optional.empty();
    }

    /** The look-ahead of {@code path} failed: left to PostgreSQL's own push, which will say why, for a while. */
    @Override
    public void failed(String path, ArchiveResult.Failed result) {
        failedAt.put(Path.of(path).getFileName().toString(), nanos.getAsLong());
    }

    /**
     * The file {@code %p} names, as a path with its directory resolved (symlinks and {@code ..}
     * included, as {@link WalDirectory} resolves it): walden-push sends an absolute path built from
     * the archiver's real working directory, the look-ahead {@code pg_wal/<name>} relative to the
     * configured pgdata, and both must meet even when pgdata is configured through a symlink. A
     * directory that can't be resolved keeps the lexical path (the request will be refused anyway).
     */
    @Override
    public String key(String requestedPath) {
        Path path = pgdata.resolve(requestedPath).normalize();
        Path parent = path.getParent();
        Path name = path.getFileName();
        if (parent == null || name == null) {
            return path.toString();
        }
        try {
            return parent.toRealPath().resolve(name).toString();
        } catch (java.io.IOException | SecurityException e) {
            return path.toString();
        }
    }

    int waiting() {
        return candidates.size();
    }

    private static boolean isWalName(String name) {
        try {
            WalFileName.parse(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
