package dev.walden.recovery;

import dev.walden.catalog.BackupManifest;
import dev.walden.concurrent.ParallelCopies;
import dev.walden.console.ProgressBar;
import dev.walden.repo.Compression;
import dev.walden.repo.ObjectRead;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes a base backup into a new data directory, in parallel, every file checked against its
 * SHA-256 before it counts. Tablespaces go to new places ({@code <pgdata>.tablespaces/<oid>}
 * unless mapped), and {@code tablespace_map} is rewritten to point there: PostgreSQL recreates
 * the pg_tblspc links from it when recovery starts.
 */
final class BackupRestorer {
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private final Storage storage;
    private final int workers;

    BackupRestorer(Storage storage, int workers) {
        this.storage = storage;
        this.workers = workers;
    }

    /** Restores {@code manifest} into a new {@code pgdata}; returns where each tablespace went. */
    Map<String, Path> restore(BackupManifest manifest, Path pgdata, Map<String, Path> tablespaceMap, PrintWriter out)
            throws IOException {
        return restore(manifest, pgdata, tablespaceMap, out, false);
    }

    /**
     * Restores {@code manifest} into {@code pgdata}; returns where each tablespace went. With
     * {@code delta}, {@code pgdata} is an existing copy: files the backup does not have are
     * removed (old WAL, recovery.signal, postmaster.opts, dropped relations), files that already
     * match the backup (same size and SHA-256, or every block as the block map records it) are
     * kept, and the rest are written anew.
     */
    Map<String, Path> restore(BackupManifest manifest, Path pgdata, Map<String, Path> tablespaceMap, PrintWriter out,
                              boolean delta) throws IOException {
        Files.createDirectories(pgdata.getParent());
        if (!Files.isDirectory(pgdata)) {
            Files.createDirectory(pgdata, DIRECTORY);
        }
        Files.setPosixFilePermissions(pgdata, PosixFilePermissions.fromString("rwx------"));
        Map<String, Path> locations = new LinkedHashMap<>();
        for (BackupManifest.Tablespace t : manifest.tablespaces()) {
            Path location = tablespaceMap.getOrDefault(t.oid(),
                    pgdata.resolveSibling(pgdata.getFileName() + ".tablespaces").resolve(t.oid()));
            Files.createDirectories(location, DIRECTORY);
            locations.put(t.oid(), location);
        }
        for (String dir : manifest.directories()) {
            Path target = place(pgdata, locations, dir);
            if (!Files.isDirectory(target)) {
                Files.createDirectories(target, DIRECTORY);
            }
        }
        Compression compression = Compression.fromConfigName(manifest.compression());
        if (delta) {
            removeOthers(manifest, pgdata, locations);
        }
        long total = manifest.files().stream().mapToLong(BackupManifest.BackupFile::size).sum();
        ProgressBar progress = new ProgressBar(out, "restoring", manifest.files().size(), "files", total);
        List<Callable<Void>> copies = new ArrayList<>();
        AtomicLong kept = new AtomicLong();
        AtomicLong keptBytes = new AtomicLong();
        for (BackupManifest.BackupFile file : manifest.files()) {
            Path target = place(pgdata, locations, file.path());
            copies.add(() -> {
                if (delta && DeltaCheck.matches(storage, compression, file, target)) {
                    Files.setPosixFilePermissions(target, mode(file));
                    kept.incrementAndGet();
                    keptBytes.addAndGet(file.size());
                } else {
                    Files.deleteIfExists(target);
                    write(file, target, compression, manifest.label());
                }
                progress.advance(file.size());
                return null;
            });
        }
        ParallelCopies.run("walden-restore", workers, copies, "restoring");
        progress.finish();
        if (delta) {
            out.printf("delta: %d of %d files (%s) already matched the backup and were kept; the rest were written%n",
                    kept.get(), manifest.files().size(), dev.walden.console.Sizes.bytes(keptBytes.get()));
        }
        if (!locations.isEmpty()) {
            StringBuilder map = new StringBuilder();
            locations.forEach((oid, location) -> map.append(oid).append(' ').append(location).append('\n'));
            Files.writeString(pgdata.resolve("tablespace_map"), map);
        }
        return locations;
    }

    private void write(BackupManifest.BackupFile file, Path target, Compression compression, String label)
            throws IOException {
        Files.createDirectories(target.getParent());
        if (!file.deltas().isEmpty()) {
            new ChainedFile(storage, compression, file, label).writeTo(target);
        } else {
            try (InputStream in = ObjectRead.open(storage, file.key(), compression, file.sha256(), "file '" + file.path()
                    + "' of backup " + label + " (object '" + file.key() + "' in " + storage.describe() + ")");
                 OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                in.transferTo(out);
            }
        }
        Files.setPosixFilePermissions(target, mode(file));
    }

    private static Set<PosixFilePermission> mode(BackupManifest.BackupFile file) {
        return PosixFilePermissions.fromString(file.mode() == null || file.mode().length() != 9 ? "rw-------"
                : file.mode());
    }

    /**
     * Removes every file and link under {@code pgdata} and the tablespace locations that is not a
     * file of the backup: what a previous recovery left that this one must not see.
     */
    private static void removeOthers(BackupManifest manifest, Path pgdata, Map<String, Path> locations)
            throws IOException {
        Set<Path> keep = new java.util.HashSet<>();
        for (BackupManifest.BackupFile file : manifest.files()) {
            keep.add(place(pgdata, locations, file.path()));
        }
        List<Path> roots = new ArrayList<>(List.of(pgdata));
        roots.addAll(locations.values());
        for (Path root : roots) {
            List<Path> others;
            try (var walk = Files.walk(root)) {
                others = walk.filter(p -> !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                        .filter(p -> !keep.contains(p)).toList();
            }
            for (Path other : others) {
                Files.deleteIfExists(other);
            }
        }
    }

    private static Path place(Path pgdata, Map<String, Path> locations, String path) {
        if (path.startsWith("pg_tblspc/")) {
            String[] parts = path.split("/", 3);
            Path location = locations.get(parts[1]);
            if (location != null) {
                return parts.length == 2 ? location : location.resolve(parts[2]);
            }
        }
        return pgdata.resolve(path);
    }
}
