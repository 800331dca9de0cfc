package dev.walden.storage;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where a repository keeps its objects: a local directory ({@link PosixStorage}) or an S3
 * bucket. This interface doc is the contract; {@code StorageContractTest} checks every driver
 * against it.
 *
 * <h2>Keys</h2>
 * A key is a relative, {@code /}-separated path of at most 1024 characters. Each segment is
 * non-empty, starts with a letter, digit or {@code _}, and holds only letters, digits and
 * {@code . _ -}. Names starting with a dot are reserved for a driver's temporary state, so they can
 * never collide with an object. Every method refuses an invalid key with
 * {@link IllegalArgumentException}.
 *
 * <h2>Writes are atomic and durable</h2>
 * {@link #write} returns a writer; nothing is visible under the key until
 * {@link ObjectWriter#commit()} returns, and once it has returned the object survives a crash of
 * the process or the machine. A writer closed without commit leaves no trace under the key (a
 * driver may leave temporary state behind after a crash; {@link #removeAbandonedWrites} removes
 * it). Committing over an existing key replaces it atomically: readers see the old object or the
 * new one, never a mix. Policies such as "never overwrite archived WAL" belong to the caller.
 * {@link WriteOption#NO_SYNC} is the named opt-out from durability, for scratch data only.
 *
 * <h2>Missing objects</h2>
 * {@link #read} throws {@link NoSuchObjectException}; {@link #stat} returns empty;
 * {@link #sync} throws {@link NoSuchObjectException}; {@link #delete} returns false; {@link #list}
 * of a prefix with no objects returns an empty list.
 *
 * <h2>Locks</h2>
 * {@link #lock} gives one process at a time a named right: {@code writer} (archiving WAL) and
 * {@code backup} (taking a base backup). A lock lives as long as the returned handle and dies
 * with its holder, however it dies.
 *
 * <h2>Pointers</h2>
 * A pointer is a key that names another object, like {@code latest_backup.sql}. On posix it is a
 * symbolic link (so an operator can {@code psql -f} it), elsewhere a small object holding the
 * target key. Pointers are never listed as objects; {@link #pointer} of a missing pointer is
 * empty; {@link #setPointer} replaces an existing pointer atomically; {@link #delete} removes
 * pointers too.
 *
 * <h2>Failures</h2>
 * Any other failure is an {@link IOException} whose message names the operation and the key.
 * Drivers are safe for concurrent use by several threads.
 */
public interface Storage extends AutoCloseable {

    /** Opens the object for reading. */
    InputStream read(String key) throws IOException;

    /** Size and modification time of the object, or empty if it doesn't exist. */
    Optional<ObjectInfo> stat(String key) throws IOException;

    /**
     * Every object whose key starts with {@code prefix} (any depth), sorted by key. The prefix is
     * a plain string prefix: {@code wal/0000000100000000/000000010000000000000003-} matches
     * objects in that directory whose name starts with the rest. Temporary state is never listed.
     */
    List<ObjectInfo> list(String prefix) throws IOException;

    /** Starts writing an object; see the class doc for what commit and close guarantee. */
    ObjectWriter write(String key, WriteOption... options) throws IOException;

    /**
     * Makes an object that already exists durable, as if this process had just committed it. Used
     * when a file is already archived: PostgreSQL may re-archive a file after a crash, and the
     * earlier copy may not have reached stable storage yet.
     */
    void sync(String key) throws IOException;

    /** Deletes the object; returns false when there was none. */
    boolean delete(String key) throws IOException;

    /**
     * Deletes many objects (not pointers), in as few requests as the driver can: expiry removes
     * thousands of WAL files at once. Keys that don't exist are skipped. Returns how many were
     * deleted; a driver that can't tell may count keys that were already gone.
     */
    default int deleteObjects(List<String> keys) throws IOException {
        int deleted = 0;
        for (String key : keys) {
            if (delete(key)) {
                deleted++;
            }
        }
        return deleted;
    }

    /**
     * Removes temporary state left by writers that never committed (a crash, a kill) and is older
     * than {@code olderThan}. Returns how many leftovers it removed.
     */
    int removeAbandonedWrites(Duration olderThan) throws IOException;

    /**
     * Takes the named lock until the returned handle is closed.
     *
     * @param name lower-case letters only: {@code writer}, {@code backup}
     * @param owner who takes it, recorded for the message another process gets, e.g.
     *     {@code walden agent (pid 4242 on db1)}
     * @throws StorageLockedException naming the current holder when another process (or another
     *     handle in this one) holds the lock
     */
    StorageLock lock(String name, String owner) throws IOException;

    /** Points {@code key} at the object {@code target} (same directory), replacing any earlier pointer. */
    void setPointer(String key, String target) throws IOException;

    /** The key a pointer names, or empty when there is no such pointer. */
    Optional<String> pointer(String key) throws IOException;

    /**
     * The name an object addressed by its content (an archived WAL file) carries for content with
     * this SHA-256 (lower-case hex): the SHA-256 itself, or, on an encrypting storage, a keyed MAC
     * of it in the same form, so that a name reveals nothing about the content to whoever lacks
     * the key. The same content always gets the same name on the same storage.
     */
    default String contentName(String sha256) {
        return sha256;
    }

    /**
     * The most heap one open {@link ObjectWriter} may hold (its buffer), for sizing the agent's JVM:
     * none for a file being written, up to a part (and the copy that grows it) for S3.
     */
    default long writerMemoryBytes() {
        return 0;
    }

    /** Where this storage is, for messages: {@code posix:/var/lib/walden}. */
    String describe();

    @Override
    void close() throws IOException;
}
