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

    /**
     * A backup as found: its label, its manifest if it got that far, and what it occupies.
     *
     * @param chainProblem why a complete incremental can't be used after all: its parent is
     *     missing, not complete, or itself unusable (null when nothing is wrong with its chain)
     * @param chainBytes what the backup and every backup it builds on occupy
     */
    public record Entry(BackupLabel label, Optional<BackupManifest> manifest, long storedBytes, int objects,
                        String chainProblem, long chainBytes) {
        /** complete, incomplete (with the reason in the manifest), or interrupted (no manifest). */
        public String status() {
            return manifest.map(BackupManifest::status).orElse("interrupted");
        }

        /** Complete, and so is every backup it builds on. */
        public boolean usable() {
            return manifest.map(BackupManifest::isComplete).orElse(false) && chainProblem == null;
        }

        /** Why it can't be recovered from, in a few words, or empty when it can. */
        public Optional<String> problem() {
            if (usable()) {
                return Optional.empty();
            }
            if (manifest.isEmpty()) {
                return Optional.of("interrupted");
            }
            if (chainProblem != null) {
                return Optional.of(chainProblem);
            }
            String detail = manifest.get().statusDetail();
            return Optional.of(status() + (detail == null ? "" : " (" + detail + ")"));
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
        return key(label, "data", "other", path, index, compression);
    }

    /** The object for the changed blocks of a file in an incremental backup. */
    public static String deltaKey(BackupLabel label, String path, int index, Compression compression) {
        return key(label, "delta", "other-delta", path, index, compression);
    }

    /** The object for the block map of a file ({@link BlockMap}). */
    public static String blockMapKey(BackupLabel label, String path, int index, Compression compression) {
        return key(label, "map", "other-map", path, index, compression);
    }

    private static String key(BackupLabel label, String kind, String numbered, String path, int index,
                              Compression compression) {
        String ext = compression.extension().isEmpty() ? "" : "." + compression.extension();
        String readable = ROOT + label + "/" + kind + "/" + path + ext;
        try {
            StorageKeys.check(readable);
            return readable;
        } catch (IllegalArgumentException e) {
            return ROOT + label + "/" + numbered + "/" + index + ext;
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
        Map<String, Entry> byName = new TreeMap<>();
        for (Map.Entry<String, List<ObjectInfo>> e : byLabel.entrySet()) { // oldest first: parents come before
            BackupLabel label;
            try {
                label = new BackupLabel(e.getKey());
            } catch (IllegalArgumentException notABackup) {
                continue;
            }
            long bytes = e.getValue().stream().mapToLong(ObjectInfo::size).sum();
            Optional<BackupManifest> manifest = read(label);
            String problem = null;
            long chainBytes = bytes;
            if (manifest.isPresent() && manifest.get().format() > BackupManifest.FORMAT) {
                problem = "written by a newer walden (manifest format " + manifest.get().format() + ")";
            } else if (manifest.isPresent() && manifest.get().isIncremental()) {
                String parentLabel = manifest.get().parent();
                Entry parent = parentLabel == null ? null : byName.get(parentLabel);
                if (parent == null || parent.label().compareTo(label) >= 0) {
                    problem = "its parent backup " + parentLabel + " is missing";
                } else if (!parent.usable()) {
                    problem = "its parent backup " + parentLabel + " is unusable: " + parent.problem().orElseThrow();
                } else {
                    chainBytes += parent.chainBytes();
                }
            }
            Entry entry = new Entry(label, manifest, bytes, e.getValue().size(), problem, chainBytes);
            entries.add(entry);
            byName.put(label.value(), entry);
        }
        return entries;
    }

    /**
     * The backups {@code backup} builds on, oldest (its full backup) first, ending with itself;
     * {@code entries} as {@link #list} returns them.
     */
    public static List<Entry> chain(List<Entry> entries, Entry backup) {
        List<Entry> chain = new ArrayList<>();
        Entry at = backup;
        while (at != null) {
            chain.add(0, at);
            String parent = at.manifest().filter(BackupManifest::isIncremental).map(BackupManifest::parent).orElse(null);
            at = parent == null ? null : entries.stream().filter(e -> e.label().value().equals(parent)).findFirst()
                    .orElse(null);
        }
        return chain;
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
