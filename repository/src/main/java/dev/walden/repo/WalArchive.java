package dev.walden.repo;

import dev.walden.storage.ObjectInfo;
import dev.walden.storage.Storage;
import dev.walden.wal.WalFileName;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * The WAL part of a repository: find, store and read archived WAL files, each verified against
 * the SHA-256 of its original bytes (named by {@link Storage#contentName}).
 */
public final class WalArchive {
    private final Storage storage;

    WalArchive(Storage storage) {
        this.storage = storage;
    }

    public Storage storage() {
        return storage;
    }

    /**
     * Returns the archived copy of {@code name}, or empty if it isn't archived.
     *
     * @throws CorruptObjectException if the repository holds more than one object for the name,
     *     which walden never writes: something else has been at the repository
     */
    public Optional<StoredWal> find(WalFileName name) throws IOException {
        String prefix = StoredWal.prefixFor(name);
        List<ObjectInfo> objects = storage.list(prefix);
        if (objects.isEmpty()) {
            return Optional.empty();
        }
        if (objects.size() > 1) {
            throw new CorruptObjectException("the repository holds " + objects.size() + " objects for '" + name
                    + "' (" + objects.get(0).key() + ", " + objects.get(1).key() + "); walden stores one");
        }
        ObjectInfo object = objects.get(0);
        return Optional.of(StoredWal.parse(object.key(), object.size()).orElseThrow(() -> new CorruptObjectException(
                "object '" + object.key() + "' in " + storage.describe() + " is not a valid WAL object name")));
    }

    /**
     * Stores {@code content}, whose SHA-256 the caller computed beforehand, durably and
     * atomically. The bytes are hashed again as they stream through, and the object is committed
     * only if they still hash to {@code sha256}: a file that changed between the two reads is
     * never stored under a checksum that doesn't describe it.
     */
    public StoredWal store(WalFileName name, String sha256, Compression compression, int level, InputStream content)
            throws IOException {
        String key = StoredWal.keyFor(name, storage.contentName(sha256), compression);
        try {
            return stored(name, key, compression,
                    ObjectPut.put(storage, key, content, compression, level, Optional.of(sha256), null));
        } catch (ObjectPut.ContentChangedException e) {
            throw changed(name, e);
        }
    }

    /**
     * Like {@link #store(WalFileName, String, Compression, int, InputStream)} for a caller that
     * read the file once already, taking its SHA-256 and its CRC-32C: this read checks the cheap
     * CRC-32C instead of hashing the file a second time.
     */
    public StoredWal store(WalFileName name, String sha256, long crc32c, Compression compression, int level,
                           InputStream content) throws IOException {
        String key = StoredWal.keyFor(name, storage.contentName(sha256), compression);
        try {
            return stored(name, key, compression,
                    ObjectPut.putUnchanged(storage, key, content, compression, level, sha256, crc32c));
        } catch (ObjectPut.ContentChangedException e) {
            throw changed(name, e);
        }
    }

    /**
     * Stores {@code content} in one read, durably and atomically, naming the object after the
     * SHA-256 taken on the way (see {@link ObjectPut#putNamedByContent}). Returns empty, having
     * stored nothing, when the compressed content outgrows {@code maxHeldBytes}; the caller then
     * hashes first and stores with {@link #store(WalFileName, String, long, Compression, int, InputStream)}.
     * The caller checks beforehand that {@code name} is not archived yet.
     */
    public Optional<StoredWal> storeInOneRead(WalFileName name, Compression compression, int level,
                                              InputStream content, int maxHeldBytes, ObjectPut.Inspector inspector,
                                              ObjectPut.CommitCheck commitCheck) throws IOException {
        return ObjectPut.putNamedByContent(storage,
                        sha256 -> StoredWal.keyFor(name, storage.contentName(sha256), compression), content,
                        compression, level, maxHeldBytes, inspector, commitCheck)
                .map(result -> stored(name, result.key(), compression, result));
    }

    private StoredWal stored(WalFileName name, String key, Compression compression, ObjectPut.Result result) {
        return new StoredWal(name, key, storage.contentName(result.sha256()), compression, result.storedBytes());
    }

    /** Whether the archived copy holds exactly the content with this SHA-256. */
    public boolean holds(StoredWal stored, String sha256) {
        return stored.contentName().equals(storage.contentName(sha256));
    }

    private static IOException changed(WalFileName name, ObjectPut.ContentChangedException e) {
        return new IOException("'" + name + "' changed while it was being archived (" + e.difference()
                + "); nothing was stored", e);
    }

    /** Makes an already archived copy durable (see {@link Storage#sync}). */
    public void sync(StoredWal stored) throws IOException {
        storage.sync(stored.key());
    }

    /**
     * Opens the original bytes of an archived file. Reaching the end of the stream verifies the
     * checksum; a mismatch, or content that doesn't decompress, throws
     * {@link CorruptObjectException}. A failure to read from the storage stays a plain
     * {@link IOException}, so it isn't mistaken for corruption.
     */
    public InputStream open(StoredWal stored) throws IOException {
        return ObjectRead.open(storage, stored.key(), stored.compression(), stored.contentName(), storage::contentName,
                "object '" + stored.key() + "' in " + storage.describe());
    }
}
