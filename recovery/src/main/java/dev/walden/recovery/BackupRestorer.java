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

    /** Restores {@code manifest} into {@code pgdata}; returns where each tablespace went. */
    Map<String, Path> restore(BackupManifest manifest, Path pgdata, Map<String, Path> tablespaceMap, PrintWriter out)
            throws IOException {
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
        long total = manifest.files().stream().mapToLong(BackupManifest.BackupFile::size).sum();
        ProgressBar progress = new ProgressBar(out, "restoring", manifest.files().size(), "files", total);
        List<Callable<Void>> copies = new ArrayList<>();
        for (BackupManifest.BackupFile file : manifest.files()) {
            Path target = place(pgdata, locations, file.path());
            copies.add(() -> {
                write(file, target, compression, manifest.label());
                progress.advance(file.size());
                return null;
            });
        }
        ParallelCopies.run("walden-restore", workers, copies, "restoring");
        progress.finish();
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
        try (InputStream in = ObjectRead.open(storage, file.key(), compression, file.sha256(), "file '" + file.path()
                + "' of backup " + label + " (object '" + file.key() + "' in " + storage.describe() + ")");
             OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            in.transferTo(out);
        }
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(
                file.mode() == null || file.mode().length() != 9 ? "rw-------" : file.mode()));
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
