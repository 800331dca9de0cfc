package dev.walden.catalog;

import dev.walden.repo.Compression;
import dev.walden.repo.Json;
import dev.walden.storage.NoSuchObjectException;
import dev.walden.storage.ObjectInfo;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import dev.walden.storage.StorageKeys;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The base backups in a repository, under {@code backups/<label>/}: {@code manifest.json} and the
 * copied files under {@code data/}. Keys are formatted here only.
 */
public final class BackupCatalog {
    public static final String ROOT = "backups/";

    private final Storage storage;

    public BackupCatalog(Storage storage) {
        this.storage = storage;
    }

    /** A backup as found: its label, its manifest if it got that far, and what it occupies. */
    public record Entry(BackupLabel label, Optional<BackupManifest> manifest, long storedBytes, int objects) {
        /** complete, incomplete (with the reason in the manifest), or interrupted (no manifest). */
        public String status() {
            return manifest.map(BackupManifest::status).orElse("interrupted");
        }

        public boolean usable() {
            return manifest.map(BackupManifest::isComplete).orElse(false);
        }
    }

    public static String manifestKey(BackupLabel label) {
        return ROOT + label + "/manifest.json";
    }

    /**
     * The object for a copied file. Paths whose every segment is a valid key segment keep their
     * name (an operator can find {@code base/5/1259}); anything else gets a numbered key, and the
     * manifest maps it back.
     */
    public static String fileKey(BackupLabel label, String path, int index, Compression compression) {
        String ext = compression.extension().isEmpty() ? "" : "." + compression.extension();
        String readable = ROOT + label + "/data/" + path + ext;
        try {
            StorageKeys.check(readable);
            return readable;
        } catch (IllegalArgumentException e) {
            return ROOT + label + "/other/" + index + ext;
        }
    }

    /** Every backup, oldest first. */
    public List<Entry> list() throws IOException {
        Map<String, List<ObjectInfo>> byLabel = new TreeMap<>();
        for (ObjectInfo object : storage.list(ROOT)) {
            String rest = object.key().substring(ROOT.length());
            int slash = rest.indexOf('/');
            if (slash > 0) {
                byLabel.computeIfAbsent(rest.substring(0, slash), k -> new ArrayList<>()).add(object);
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, List<ObjectInfo>> e : byLabel.entrySet()) {
            BackupLabel label;
            try {
                label = new BackupLabel(e.getKey());
            } catch (IllegalArgumentException notABackup) {
                continue;
            }
            long bytes = e.getValue().stream().mapToLong(ObjectInfo::size).sum();
            entries.add(new Entry(label, read(label), bytes, e.getValue().size()));
        }
        return entries;
    }

    /** The manifest of a backup, or empty when the backup never wrote one. */
    public Optional<BackupManifest> read(BackupLabel label) throws IOException {
        try (InputStream in = storage.read(manifestKey(label))) {
            return Optional.of(Json.MAPPER.readValue(in, BackupManifest.class));
        } catch (NoSuchObjectException e) {
            return Optional.empty();
        }
    }

    public void write(BackupManifest manifest) throws IOException {
        try (ObjectWriter writer = storage.write(manifestKey(new BackupLabel(manifest.label())))) {
            Json.MAPPER.writeValue(writer.stream(), manifest);
            writer.commit();
        }
    }

    /**
     * Deletes a backup: the manifest first, so that a deletion interrupted half-way leaves an
     * "interrupted" backup, never a "complete" one with files missing.
     */
    public int delete(BackupLabel label) throws IOException {
        int removed = storage.delete(manifestKey(label)) ? 1 : 0;
        return removed + storage.deleteObjects(storage.list(ROOT + label + "/").stream().map(ObjectInfo::key).toList());
    }
}
