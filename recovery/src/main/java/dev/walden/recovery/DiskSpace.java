package dev.walden.recovery;

import dev.walden.catalog.BackupManifest;
import dev.walden.console.Sizes;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Room for a recovery, checked before a byte is written: the backup's files and the staged WAL on
 * the filesystem each lands on, plus a reserve, because the default place is next to production's
 * data directory and a recovery must not fill production's disk halfway through.
 */
public final class DiskSpace {
    /** Left free after the recovery: the recovered server writes WAL, and production may share the disk. */
    static final long RESERVE_BYTES = 1L << 30;

    private DiskSpace() {
    }

    /**
     * @param stagedBytes the WAL staged into {@code staged}; 0 when nothing is staged
     * @throws RefusedException naming the place, what it needs and what it has
     */
    static void check(Path pgdata, Map<String, Path> tablespaceMap, BackupManifest manifest, long stagedBytes,
                      Path staged) throws IOException {
        check(pgdata, tablespaceMap, manifest, stagedBytes, staged, DiskSpace::usable);
    }

    static void check(Path pgdata, Map<String, Path> tablespaceMap, BackupManifest manifest, long stagedBytes,
                      Path staged, ToLongFunction<Path> usableBytes) throws IOException {
        Map<Path, Long> byPlace = new LinkedHashMap<>();
        for (BackupManifest.BackupFile file : manifest.files()) {
            Path place = pgdata;
            if (file.path().startsWith("pg_tblspc/")) {
                String oid = file.path().split("/", 3)[1];
                place = tablespaceMap.getOrDefault(oid, pgdata.resolveSibling(pgdata.getFileName() + ".tablespaces"));
            }
            byPlace.merge(place, file.size(), Long::sum);
        }
        byPlace.merge(staged, stagedBytes, Long::sum);
        Map<FileStore, Long> needed = new LinkedHashMap<>();
        Map<FileStore, Path> where = new LinkedHashMap<>();
        for (Map.Entry<Path, Long> e : byPlace.entrySet()) {
            FileStore store = Files.getFileStore(existing(e.getKey()));
            needed.merge(store, e.getValue(), Long::sum);
            where.putIfAbsent(store, e.getKey());
        }
        for (Map.Entry<FileStore, Long> e : needed.entrySet()) {
            Path place = where.get(e.getKey());
            long usable = usableBytes.applyAsLong(existing(place));
            if (e.getValue() + RESERVE_BYTES > usable) {
                throw new RefusedException("'" + existing(place) + "' has " + Sizes.bytes(usable) + " free; this "
                        + "recovery writes " + Sizes.bytes(e.getValue()) + " there and leaves at least "
                        + Sizes.bytes(RESERVE_BYTES) + " free: give --pgdata (or --tablespace) a filesystem with room");
            }
        }
    }

    /** The nearest directory of {@code place} that exists: where its filesystem is asked. */
    private static Path existing(Path place) {
        Path p = place.toAbsolutePath();
        while (!Files.exists(p) && p.getParent() != null) {
            p = p.getParent();
        }
        return p;
    }

    private static long usable(Path path) {
        try {
            return Files.getFileStore(path).getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE; // can't tell: PostgreSQL and the restore say it when it runs out
        }
    }
}
