package dev.walden.catalog;

import dev.walden.repo.Json;
import dev.walden.storage.NoSuchObjectException;
import dev.walden.storage.ObjectInfo;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The logical dumps in a repository, named as the daily {@code pg_dump} cron script walden replaces
 * named them:
 * {@code dumps/<db>/<db>_backup_<yyyyMMdd_HHmmss>.sql} (local time; {@code .sql.gz},
 * {@code .sql.zst} when compressed, {@code .dump} for the custom format), each with a
 * {@code .json} manifest once verified, and a {@code latest_backup.<ext>} pointer per database.
 * Names are formatted and parsed here only.
 */
public final class DumpCatalog {
    public static final String ROOT = "dumps/";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss");
    private static final Pattern NAME = Pattern.compile("(.+)_backup_(\\d{8}_\\d{6})\\.(sql|sql\\.gz|sql\\.zst|dump)");
    private static final String MANIFEST_SUFFIX = ".json";
    private static final String LATEST = "latest_backup";

    private final Storage storage;

    public DumpCatalog(Storage storage) {
        this.storage = storage;
    }

    /** A dump as found: its object, and its manifest if it was verified. */
    public record Entry(String database, String key, LocalDateTime taken, long storedBytes,
                        Optional<DumpManifest> manifest) {
        public boolean verified() {
            return manifest.isPresent();
        }
    }

    /** A database name as it appears in keys: characters a key can't hold become '_'. */
    public static String safeName(String database) {
        String safe = database.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.startsWith(".") || safe.startsWith("-") ? "_" + safe.substring(1) : safe;
    }

    /** The key for a new dump: {@code extension} is {@code sql}, {@code sql.gz}, {@code sql.zst} or {@code dump}. */
    public static String dumpKey(String database, LocalDateTime taken, String extension) {
        String safe = safeName(database);
        return ROOT + safe + "/" + safe + "_backup_" + STAMP.format(taken) + "." + extension;
    }

    public static String manifestKey(String dumpKey) {
        return dumpKey + MANIFEST_SUFFIX;
    }

    /** The {@code latest} pointer of a database for dumps with this extension. */
    public static String latestKey(String database, String extension) {
        return ROOT + safeName(database) + "/" + LATEST + "." + extension;
    }

    /** The extension of a dump key: what follows the timestamp. */
    public static String extension(String dumpKey) {
        Matcher m = NAME.matcher(dumpKey.substring(dumpKey.lastIndexOf('/') + 1));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + dumpKey + "' is not a dump name");
        }
        return m.group(3);
    }

    /** Every dump of every database (or of one, when {@code database} is given), oldest first. */
    public List<Entry> list(Optional<String> database) throws IOException {
        String prefix = ROOT + database.map(d -> safeName(d) + "/").orElse("");
        List<ObjectInfo> objects = storage.list(prefix);
        List<Entry> entries = new ArrayList<>();
        for (ObjectInfo object : objects) {
            String name = object.name();
            Matcher m = NAME.matcher(name);
            if (!m.matches()) {
                continue;
            }
            String dir = object.key().substring(ROOT.length(), object.key().lastIndexOf('/'));
            Optional<DumpManifest> manifest = readManifest(object.key());
            String db = manifest.map(DumpManifest::database).orElse(dir);
            entries.add(new Entry(db, object.key(), LocalDateTime.parse(m.group(2), STAMP), object.size(), manifest));
        }
        entries.sort(Comparator.comparing(Entry::taken).thenComparing(Entry::key));
        return entries;
    }

    private Optional<DumpManifest> readManifest(String dumpKey) throws IOException {
        try (InputStream in = storage.read(manifestKey(dumpKey))) {
            return Optional.of(Json.MAPPER.readValue(in, DumpManifest.class));
        } catch (NoSuchObjectException e) {
            return Optional.empty();
        }
    }

    public void writeManifest(DumpManifest manifest) throws IOException {
        try (ObjectWriter writer = storage.write(manifestKey(manifest.key()))) {
            Json.MAPPER.writeValue(writer.stream(), manifest);
            writer.commit();
        }
    }

    /** Points the database's {@code latest} at a verified dump, removing pointers of other formats. */
    public void setLatest(String database, String dumpKey) throws IOException {
        String extension = extension(dumpKey);
        storage.setPointer(latestKey(database, extension), dumpKey);
        for (String other : new String[] {"sql", "sql.gz", "sql.zst", "dump"}) {
            if (!other.equals(extension)) {
                storage.delete(latestKey(database, other));
            }
        }
    }

    /** What {@code latest} points at for a database, if anything. */
    public Optional<String> latest(String database) throws IOException {
        for (String extension : new String[] {"sql", "sql.gz", "sql.zst", "dump"}) {
            Optional<String> target = storage.pointer(latestKey(database, extension));
            if (target.isPresent()) {
                return target;
            }
        }
        return Optional.empty();
    }

    /** Deletes a dump: manifest first, then the dump, so that nothing half-deleted looks verified. */
    public void delete(String dumpKey) throws IOException {
        storage.delete(manifestKey(dumpKey));
        storage.delete(dumpKey);
    }
}
