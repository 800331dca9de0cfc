package dev.walden.agent.archive;

import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.wal.WalFileName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What the agent knows is in the repository of the files PostgreSQL still has to archive: each
 * such WAL name with its stored object and, for files this agent stored itself, which file in
 * pg_wal it read. Loaded from one listing at start (only the names then .ready), kept current by
 * every store, pruned to the .ready names at every scan, so a push for a file the look-ahead
 * already stored is answered without reading 16 MiB again or listing the repository, and memory
 * follows pg_wal's backlog rather than the size of the archive.
 *
 * <p>The index is a cache, never the last word: an answer from it is given only when the file in
 * pg_wal is provably the one that was hashed (same inode, size and modification time; PostgreSQL
 * never rewrites a finished segment in place) and the stored object is still there. Anything
 * else goes the long way, which compares checksums; an entry from the start-up listing has no
 * source yet, so the first look at its file (by the look-ahead, usually) confirms it that way.
 */
public final class ArchivedIndex {
    /** Which file was read: its inode (file key), size and modification time when it was hashed. */
    record Source(Object fileKey, long size, long modifiedNanos) {
        static Optional<Source> of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                return a.fileKey() == null ? Optional.empty() : Optional.of(new Source(a.fileKey(), a.size(),
                        a.lastModifiedTime().to(TimeUnit.NANOSECONDS)));
            } catch (IOException e) {
                return Optional.empty();
            }
        }
    }

    /** An archived file; {@code source} is empty when it was stored before this agent started. */
    record Entry(StoredWal stored, Optional<Source> source) {
    }

    private final ConcurrentHashMap<String, Entry> byName = new ConcurrentHashMap<>();
    private final boolean enabled;

    public ArchivedIndex() {
        this(true);
    }

    private ArchivedIndex(boolean enabled) {
        this.enabled = enabled;
    }

    /** An index that keeps nothing: without look-ahead nobody would ever prune it. */
    public static ArchivedIndex disabled() {
        return new ArchivedIndex(false);
    }

    /** The index of the files named {@code ready} that {@code repository} holds (one listing of {@code wal/}). */
    static ArchivedIndex rebuild(Repository repository, Set<String> ready) throws IOException {
        ArchivedIndex index = new ArchivedIndex();
        index.load(repository, ready);
        return index;
    }

    /**
     * Adds what the repository holds of the files named {@code ready} (PostgreSQL's .ready files:
     * memory stays bounded by pg_wal, not by the archive); entries this agent made meanwhile stay.
     */
    public void load(Repository repository, Set<String> ready) throws IOException {
        if (!enabled) {
            return;
        }
        for (var object : repository.storage().list(StoredWal.ROOT)) {
            StoredWal.parse(object.key(), object.size())
                    .filter(w -> ready.contains(w.name().toString()))
                    .ifPresent(w -> byName.putIfAbsent(w.name().toString(), new Entry(w, Optional.empty())));
        }
    }

    /** Forgets every file not named in {@code ready}: PostgreSQL won't ask for those again. */
    void retainOnly(Set<String> ready) {
        byName.keySet().retainAll(ready);
    }

    Optional<Entry> get(WalFileName name) {
        return Optional.ofNullable(byName.get(name.toString()));
    }

    /** Whether {@code name} was stored and its file in pg_wal already confirmed as the one stored. */
    boolean confirmed(String name) {
        Entry e = byName.get(name);
        return e != null && e.source().isPresent();
    }

    boolean contains(String name) {
        return byName.containsKey(name);
    }

    void put(StoredWal stored, Optional<Source> source) {
        if (!enabled) {
            return;
        }
        byName.put(stored.name().toString(), new Entry(Objects.requireNonNull(stored), source));
    }

    /** Forgets a name whose object turned out to be gone (expired, or removed by hand). */
    void forget(WalFileName name) {
        byName.remove(name.toString());
    }

    public int size() {
        return byName.size();
    }
}
