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

    private final Path archiveStatus;
    private final ArchivedIndex index;
    private final LongSupplier nanos;
    private final ConcurrentSkipListSet<String> candidates = new ConcurrentSkipListSet<>(ORDER);
    private final Map<String, Long> failedAt = new ConcurrentHashMap<>();

    /**
     * @param archiveStatus {@code pg_wal/archive_status}; files are offered as PostgreSQL's
     *     archiver names them ({@code pg_wal/<name>}, relative to the data directory)
     */
    public LookAhead(Path archiveStatus, ArchivedIndex index, LongSupplier nanos) {
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
