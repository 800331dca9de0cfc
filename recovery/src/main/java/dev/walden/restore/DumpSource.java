package dev.walden.restore;

import dev.walden.catalog.DumpCatalog;
import dev.walden.catalog.DumpManifest;
import dev.walden.dump.DumpFormat;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Json;
import dev.walden.crypto.EncryptingStorage;
import dev.walden.storage.Storage;
import dev.walden.storage.posix.PosixStorage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dump {@code walden restore} reads, resolved from what the operator typed: {@code latest}
 * (the default database's newest verified dump), {@code latest:DB}, a dump's key or file name in
 * the repository, or a file on disk (a copy of a dump, or one in a posix repository). A dump with
 * a manifest is read through its checksum; a repository dump without one was never verified
 * (its dump failed or was interrupted) and is refused.
 *
 * @param description what to call it in messages: its repository key or its path
 * @param database the database it was taken from
 * @param sha256 checksum of the dump as pg_dump wrote it, when a manifest records it
 * @param originalBytes its size as pg_dump wrote it, or -1 when unknown
 * @param localFile the file holding exactly pg_dump's bytes, when there is one (uncompressed, on disk)
 * @param encrypted whether it is stored encrypted: then its plaintext never touches the disk
 *     (a custom-format dump is streamed into pg_restore instead of spooled for parallel jobs)
 */
public record DumpSource(String description, String database, DumpFormat format, Compression compression,
                         Optional<String> sha256, long originalBytes, Opener opener, Optional<Path> localFile,
                         boolean encrypted) {
    private static final Pattern BACKUP_NAME = Pattern.compile("(.+)_backup_\\d{8}_\\d{6}\\..+");
    private static final byte[] CUSTOM_MAGIC = {'P', 'G', 'D', 'M', 'P'};

    /** Opens the stored bytes (still compressed). */
    public interface Opener {
        InputStream open() throws IOException;
    }

    /** The dump as pg_dump wrote it: decompressed and, when its checksum is known, checked at the end. */
    public InputStream open() throws IOException {
        InputStream in = compression.decompress(opener.open());
        return sha256.isPresent() ? Checksums.verifying(in, sha256.get(), "dump '" + description + "'") : in;
    }

    /**
     * Finds the dump {@code name} refers to.
     *
     * @param defaultDatabase whose dump {@code latest} means
     * @throws IOException naming what was asked for and why it can't be used
     */
    public static DumpSource resolve(String name, Storage storage, String defaultDatabase) throws IOException {
        DumpCatalog catalog = new DumpCatalog(storage);
        if (name.equals("latest") || name.startsWith("latest:")) {
            String database = name.equals("latest") ? defaultDatabase : name.substring("latest:".length());
            String key = catalog.latest(database).orElseThrow(() -> new IOException("database '" + database
                    + "' has no verified dump in the repository ('walden list' shows the dumps; 'latest:DB' picks "
                    + "another database)"));
            return fromRepository(storage, catalog, key, name);
        }
        Path file = Path.of(name);
        if (Files.isRegularFile(file)) {
            Path real = file.toRealPath();
            Storage driver = storage instanceof EncryptingStorage encrypting ? encrypting.inner() : storage;
            if (driver instanceof PosixStorage posix && real.startsWith(posix.root().toRealPath())) {
                return fromRepository(storage, catalog, posix.root().toRealPath().relativize(real).toString(), name);
            }
            return fromFile(real);
        }
        String wanted = name.startsWith("/") ? name.substring(1) : name;
        for (DumpCatalog.Entry entry : catalog.list(Optional.empty())) {
            if (entry.key().equals(wanted) || entry.key().endsWith("/" + wanted)) {
                return fromRepository(storage, catalog, entry.key(), name);
            }
        }
        throw new IOException("no dump '" + name + "' in the repository or on disk ('walden list' shows the dumps)");
    }

    /** A custom-format dump walden just wrote to {@code file} itself (recover --into-database). */
    public static DumpSource customFile(Path file, String database) throws IOException {
        return new DumpSource(file.toString(), database, DumpFormat.CUSTOM, Compression.NONE, Optional.empty(),
                Files.size(file), () -> Files.newInputStream(file), Optional.of(file), false);
    }

    private static DumpSource fromRepository(Storage storage, DumpCatalog catalog, String key, String asked) throws IOException {
        List<DumpCatalog.Entry> entries = catalog.list(Optional.empty());
        DumpCatalog.Entry entry = entries.stream().filter(e -> e.key().equals(key)).findFirst()
                .orElseThrow(() -> new IOException("'" + asked + "' points at " + key + ", which is not a dump"));
        if (entry.manifest().isEmpty()) {
            throw new IOException("dump " + key + " was never verified (its dump failed or was interrupted); "
                    + "walden restores only verified dumps");
        }
        DumpManifest m = entry.manifest().get();
        return new DumpSource(key, m.database(), DumpFormat.fromConfigName(m.dumpFormat()),
                Compression.fromConfigName(m.compression()), Optional.of(m.sha256()), m.originalBytes(),
                () -> storage.read(key), Optional.empty(), storage instanceof EncryptingStorage);
    }

    /** A dump file outside the repository: its manifest beside it if there is one, else what its name and bytes say. */
    private static DumpSource fromFile(Path file) throws IOException {
        String fileName = file.getFileName().toString();
        Path manifestFile = file.resolveSibling(DumpCatalog.manifestKey(fileName));
        if (Files.isRegularFile(manifestFile)) {
            DumpManifest m;
            try (InputStream in = Files.newInputStream(manifestFile)) {
                m = Json.MAPPER.readValue(in, DumpManifest.class);
            } catch (IOException e) {
                throw new IOException("'" + manifestFile + "' is not a dump manifest: " + e.getMessage(), e);
            }
            return new DumpSource(file.toString(), m.database(), DumpFormat.fromConfigName(m.dumpFormat()),
                    Compression.fromConfigName(m.compression()), Optional.of(m.sha256()), m.originalBytes(),
                    () -> Files.newInputStream(file), Optional.empty(), false);
        }
        String lower = fileName.toLowerCase(Locale.ROOT);
        Compression compression = lower.endsWith(".gz") ? Compression.GZIP
                : lower.endsWith(".zst") ? Compression.ZSTD : Compression.NONE;
        byte[] head;
        try (InputStream in = compression.decompress(Files.newInputStream(file))) {
            head = in.readNBytes(CUSTOM_MAGIC.length);
        } catch (IOException e) {
            throw new IOException("'" + file + "' does not decompress as " + compression.configName() + ": "
                    + e.getMessage(), e);
        }
        DumpFormat format = java.util.Arrays.equals(head, CUSTOM_MAGIC) ? DumpFormat.CUSTOM : DumpFormat.PLAIN;
        Matcher m = BACKUP_NAME.matcher(fileName);
        String database = m.matches() ? m.group(1) : fileName.replaceFirst("\\..*$", "");
        return new DumpSource(file.toString(), database, format, compression, Optional.empty(),
                compression == Compression.NONE ? Files.size(file) : -1, () -> Files.newInputStream(file),
                compression == Compression.NONE ? Optional.of(file) : Optional.empty(), false);
    }
}
