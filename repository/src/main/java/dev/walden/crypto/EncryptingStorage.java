package dev.walden.crypto;

import dev.walden.storage.ObjectInfo;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import dev.walden.storage.StorageLock;
import dev.walden.storage.WriteOption;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A {@link Storage} whose objects are encrypted ({@link ObjectCipher}) with the keyring's
 * current key on the way in, and authenticated and decrypted on the way out, over any driver.
 * Everything above it (WAL, backups, dumps, catalogs, audit entries) is stored encrypted without
 * knowing it. Two objects are stored as they are, because they are what opens the rest:
 * {@code repository.json} (which says the repository is encrypted) and {@code keyring.json}
 * (whose keys are wrapped). Listings, pointers and locks pass through; sizes are those of the
 * content written, as if it were stored unencrypted.
 */
public final class EncryptingStorage implements Storage {
    private static final Set<String> STORED_AS_IS = Set.of("repository.json", Keyring.KEY);

    private final Storage inner;
    /** How often a long-running process (the agent) looks whether keyring.json changed. */
    private static final long KEYRING_CHECK_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** Opens keyring.json again, after {@code walden key add} or {@code retire} by another process. */
    public interface KeyringLoader {
        Keyring load() throws IOException;
    }

    private final Optional<KeyringLoader> loader;
    private final long keyringCheckNanos;
    private volatile Keyring keyring;
    private volatile Optional<Instant> keyringModified;
    private volatile long keyringCheckedAt;

    /** An encrypting storage whose keyring never changes under it (tests, tools). */
    public EncryptingStorage(Storage inner, Keyring keyring) throws IOException {
        this(inner, keyring, Optional.empty());
    }

    /**
     * An encrypting storage that follows keyring.json: an object under a key it doesn't know
     * makes it open the keyring again (a key another process added), and at most every minute a
     * write checks whether the keyring changed, so that a running agent encrypts with a key added
     * or stops using a key retired since it started.
     */
    public EncryptingStorage(Storage inner, Keyring keyring, Optional<KeyringLoader> loader) throws IOException {
        this(inner, keyring, loader, KEYRING_CHECK_NANOS);
    }

    EncryptingStorage(Storage inner, Keyring keyring, Optional<KeyringLoader> loader, long keyringCheckNanos)
            throws IOException {
        this.keyringCheckNanos = keyringCheckNanos;
        this.inner = inner;
        this.keyring = keyring;
        this.loader = loader;
        this.keyringModified = modified();
        this.keyringCheckedAt = System.nanoTime();
    }

    private Optional<Instant> modified() throws IOException {
        return inner.stat(Keyring.KEY).map(ObjectInfo::modified);
    }

    /** The keyring as it is now in the storage; unchanged when there is no loader. */
    private synchronized void reload() throws IOException {
        if (loader.isPresent()) {
            keyringModified = modified();
            keyring = loader.get().load();
        }
        keyringCheckedAt = System.nanoTime();
    }

    /** The key for new objects, after looking (at most every minute) whether keyring.json changed. */
    private DataKey currentKey() throws IOException {
        if (loader.isPresent() && System.nanoTime() - keyringCheckedAt >= keyringCheckNanos) {
            keyringCheckedAt = System.nanoTime();
            if (!modified().equals(keyringModified)) {
                try {
                    reload();
                } catch (WrongKeyException e) {
                    // walden key protect: the keys are the same, only what opens them changed; this
                    // process goes on with the keys it holds until it restarts with the new key
                    keyringModified = modified();
                }
            }
        }
        return keyring.current();
    }

    /** The driver underneath, which stores the encrypted bytes. */
    public Storage inner() {
        return inner;
    }

    public Keyring keyring() {
        return keyring;
    }

    /** Uses a changed keyring (after {@code walden key add} or {@code retire} in this process) from now on. */
    public synchronized void keyring(Keyring changed) throws IOException {
        this.keyring = changed;
        this.keyringModified = modified();
    }

    @Override
    public InputStream read(String key) throws IOException {
        InputStream raw = inner.read(key);
        if (STORED_AS_IS.contains(key)) {
            return raw;
        }
        try {
            int id = ObjectCipher.readKeyId(raw, key);
            if (keyring.key(id).isEmpty()) {
                reload();
            }
            DataKey dataKey = keyring.key(id).orElseThrow(() -> new ObjectAuthenticationException("object '" + key
                    + "' is encrypted with key " + id + ", which " + Keyring.KEY + " does not hold"));
            return ObjectCipher.decrypt(raw, dataKey, key);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** Whether the object under {@code key} is encrypted: all but repository.json and keyring.json. */
    public boolean isEncrypted(String key) {
        return !STORED_AS_IS.contains(key);
    }

    /** The id of the key an object is encrypted with, read from its header. */
    public int keyIdOf(String key) throws IOException {
        try (InputStream raw = inner.read(key)) {
            return ObjectCipher.readKeyId(raw, key);
        }
    }

    /**
     * A keyed MAC of the content's SHA-256 (HMAC-SHA256 with the keyring's naming key, in hex):
     * the name of an archived WAL object reveals nothing to whoever lacks the key, while the same
     * content still gets the same name, so a re-archived file is still recognised as identical.
     */
    @Override
    public String contentName(String sha256) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(keyring.namingKey(), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(HexFormat.of().parseHex(sha256)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has HmacSHA256", e);
        }
    }

    @Override
    public ObjectWriter write(String key, WriteOption... options) throws IOException {
        ObjectWriter writer = inner.write(key, options);
        if (STORED_AS_IS.contains(key)) {
            return writer;
        }
        OutputStream encrypting;
        try {
            encrypting = new ClosedOnce(ObjectCipher.encrypt(writer.stream(), currentKey(), key));
        } catch (IOException | RuntimeException e) {
            writer.close();
            throw e;
        }
        return new ObjectWriter() {
            @Override
            public OutputStream stream() {
                return encrypting;
            }

            @Override
            public void commit() throws IOException {
                encrypting.close(); // the last segment and its tag; closing the driver's stream does not commit
                writer.commit();
            }

            @Override
            public void close() throws IOException {
                writer.close();
            }
        };
    }

    /** An encrypting stream closed at most once: by its writer (ObjectPut closes it) and again by commit. */
    private static final class ClosedOnce extends java.io.FilterOutputStream {
        private boolean closed;

        ClosedOnce(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                out.close();
            }
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return inner.stat(key).map(EncryptingStorage::decrypted);
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        return inner.list(prefix).stream().map(EncryptingStorage::decrypted).toList();
    }

    /** Sizes above this storage are those of what was written to it: the compressed bytes, not the ciphertext. */
    private static ObjectInfo decrypted(ObjectInfo info) {
        return STORED_AS_IS.contains(info.key()) ? info
                : new ObjectInfo(info.key(), ObjectCipher.plaintextSize(info.size()), info.modified());
    }

    @Override
    public void sync(String key) throws IOException {
        inner.sync(key);
    }

    @Override
    public boolean delete(String key) throws IOException {
        return inner.delete(key);
    }

    @Override
    public int deleteObjects(List<String> keys) throws IOException {
        return inner.deleteObjects(keys);
    }

    @Override
    public int removeAbandonedWrites(Duration olderThan) throws IOException {
        return inner.removeAbandonedWrites(olderThan);
    }

    @Override
    public StorageLock lock(String name, String owner) throws IOException {
        return inner.lock(name, owner);
    }

    @Override
    public void setPointer(String key, String target) throws IOException {
        inner.setPointer(key, target);
    }

    @Override
    public Optional<String> pointer(String key) throws IOException {
        return inner.pointer(key);
    }

    @Override
    public long writerMemoryBytes() {
        return inner.writerMemoryBytes();
    }

    @Override
    public String describe() {
        return inner.describe();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
