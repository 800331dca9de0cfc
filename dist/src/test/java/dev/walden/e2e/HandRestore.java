package dev.walden.e2e;

import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.BackupLabel;
import dev.walden.catalog.BackupManifest;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.storage.Storage;
import dev.walden.storage.posix.PosixStorage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Restores a base backup by hand, as an operator following docs/repository-format.md would
 * before {@code walden recover} exists: every file from its object (checksum verified),
 * tablespaces to new places, then the recovery settings. What the tests prove is that the
 * backup, not this code, has everything PostgreSQL needs.
 */
final class HandRestore {
    private HandRestore() {
    }

    static BackupManifest newest(Path repository) throws IOException {
        List<BackupCatalog.Entry> entries = new BackupCatalog(new PosixStorage(repository)).list();
        return entries.get(entries.size() - 1).manifest().orElseThrow();
    }

    static BackupManifest manifest(Path repository, String label) throws IOException {
        return new BackupCatalog(new PosixStorage(repository)).read(new BackupLabel(label)).orElseThrow();
    }

    /**
     * Writes the backup to {@code pgdata}; each tablespace goes to {@code tablespaces/<oid>}.
     */
    static void restore(Path repository, BackupManifest manifest, Path pgdata, Path tablespaces) throws IOException {
        Storage storage = new PosixStorage(repository);
        Files.createDirectories(pgdata, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Map<String, Path> locations = new HashMap<>();
        StringBuilder map = new StringBuilder();
        for (BackupManifest.Tablespace t : manifest.tablespaces()) {
            Path location = Files.createDirectories(tablespaces.resolve(t.oid()));
            locations.put(t.oid(), location);
            map.append(t.oid()).append(' ').append(location).append('\n');
        }
        for (String dir : manifest.directories()) {
            Files.createDirectories(place(pgdata, locations, dir));
        }
        Compression compression = Compression.fromConfigName(manifest.compression());
        for (BackupManifest.BackupFile file : manifest.files()) {
            Path target = place(pgdata, locations, file.path());
            Files.createDirectories(target.getParent());
            try (InputStream in = Checksums.verifying(compression.decompress(storage.read(file.key())), file.sha256(),
                    file.key()); OutputStream out = Files.newOutputStream(target)) {
                in.transferTo(out);
            }
            if (!file.deltas().isEmpty()) {
                applyDeltas(storage, compression, file, target);
            }
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
        }
        if (!manifest.tablespaces().isEmpty()) {
            // PostgreSQL recreates pg_tblspc's links from tablespace_map when recovery starts
            Files.writeString(pgdata.resolve("tablespace_map"), map);
        }
    }

    /**
     * docs/repository-format.md, "Rebuilding a file by hand": each delta's blocks written at
     * block × 8192 in order, then the file cut to its size.
     */
    private static void applyDeltas(Storage storage, Compression compression, BackupManifest.BackupFile file,
                                    Path target) throws IOException {
        try (java.io.RandomAccessFile out = new java.io.RandomAccessFile(target.toFile(), "rw")) {
            for (BackupManifest.Delta delta : file.deltas()) {
                try (InputStream in = Checksums.verifying(compression.decompress(storage.read(delta.key())),
                        delta.sha256(), delta.key())) {
                    for (String range : delta.blocks().split(",")) {
                        String[] ends = range.split("-");
                        long first = Long.parseLong(ends[0]);
                        long last = Long.parseLong(ends[ends.length - 1]);
                        for (long b = first; b <= last; b++) {
                            byte[] block = in.readNBytes((int) Math.min(8192, delta.size() - b * 8192));
                            out.seek(b * 8192);
                            out.write(block);
                        }
                    }
                    in.transferTo(OutputStream.nullOutputStream()); // to the end, where the checksum is checked
                }
            }
            out.setLength(file.size());
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
