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
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
    private volatile Keyring keyring;

    public EncryptingStorage(Storage inner, Keyring keyring) {
        this.inner = inner;
        this.keyring = keyring;
    }

    /** The driver underneath, which stores the encrypted bytes. */
    public Storage inner() {
        return inner;
    }

    public Keyring keyring() {
        return keyring;
    }

    /** Uses a changed keyring (after {@code walden key add} or {@code retire}) from now on. */
    public void keyring(Keyring changed) {
        this.keyring = changed;
    }

    @Override
    public InputStream read(String key) throws IOException {
        InputStream raw = inner.read(key);
        if (STORED_AS_IS.contains(key)) {
            return raw;
        }
        try {
            int id = ObjectCipher.readKeyId(raw, key);
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
            encrypting = new ClosedOnce(ObjectCipher.encrypt(writer.stream(), keyring.current(), key));
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
    public String describe() {
        return inner.describe();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
