package dev.walden.repo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.crypto.EncryptingStorage;
import dev.walden.crypto.KeySource;
import dev.walden.crypto.Keyring;
import dev.walden.storage.NoSuchObjectException;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import dev.walden.wal.ClusterIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.Optional;

/**
 * A walden repository: a {@link Storage} bound to one database cluster by {@code repository.json}.
 * Layout and object formats are described in {@code docs/repository-format.md}.
 */
public final class Repository {
    public static final String INFO_KEY = "repository.json";

    private static final ObjectMapper JSON = Json.MAPPER;

    private final Storage storage;
    private final RepositoryInfo info;
    private final WalArchive wal;
    private final WalStream stream;

    private Repository(Storage storage, RepositoryInfo info) {
        this.storage = storage;
        this.info = info;
        this.wal = new WalArchive(storage);
        this.stream = new WalStream(storage);
    }

    /**
     * Opens an existing repository.
     *
     * @throws NoRepositoryException when there is no repository there
     */
    public static Repository open(Storage storage) throws IOException {
        RepositoryInfo info = readInfo(storage).orElseThrow(() -> new NoRepositoryException(storage.describe()));
        if (info.cipher().isPresent() && !(storage instanceof EncryptingStorage)) {
            throw new IOException("repository " + storage.describe() + " is encrypted (" + info.encryption()
                    + "); open it with its key (StorageFactory.open)");
        }
        return new Repository(storage, info);
    }

    /**
     * Creates the repository for {@code cluster}: {@code walden init}. Creating it again for the
     * same cluster changes nothing and returns it.
     *
     * @throws IOException when the storage holds a repository of another cluster, or objects but
     *     no repository
     */
    public static Repository create(Storage storage, ClusterIdentity cluster, Clock clock) throws IOException {
        return create(storage, cluster, clock, Optional.empty());
    }

    /**
     * Creates the repository for {@code cluster}, encrypted with a new keyring protected by
     * {@code key} when one is given: {@code walden init}. Creating it again for the same cluster
     * and the same choice of encryption changes nothing and returns it; the returned repository
     * reads and writes through the encryption.
     *
     * @param storage the driver's storage, not an encrypting one
     * @throws IOException when the storage holds a repository of another cluster or with the
     *     other choice of encryption, or objects but no repository
     */
    public static Repository create(Storage storage, ClusterIdentity cluster, Clock clock, Optional<KeySource> key)
            throws IOException {
        Optional<RepositoryInfo> existing = readInfo(storage);
        if (existing.isPresent()) {
            RepositoryEncryption.checkSame(storage, existing.get(), key.isPresent());
            Storage opened = key.isPresent() ? new EncryptingStorage(storage,
                    Keyring.open(storage, key.get(), existing.get().systemIdentifier())) : storage;
            Repository repository = new Repository(opened, existing.get());
            repository.checkBelongsTo(cluster);
            return repository;
        }
        // a keyring alone is what an init cut short before repository.json leaves: nothing was encrypted with it
        if (storage.list("").stream().anyMatch(o -> !o.key().equals(Keyring.KEY))) {
            throw new IOException(storage.describe() + " is not empty but holds no walden repository (no " + INFO_KEY
                    + "); refusing to create one among unknown files");
        }
        RepositoryInfo info = RepositoryInfo.forCluster(cluster, clock.instant(),
                key.map(k -> Keyring.CIPHER));
        Storage opened = storage;
        if (key.isPresent()) {
            // the keyring first: a repository.json that says "encrypted" is never without its keys
            opened = new EncryptingStorage(storage, Keyring.create(storage, key.get(), info.systemIdentifier(),
                    clock.instant()));
        }
        try (ObjectWriter writer = storage.write(INFO_KEY)) {
            JSON.writeValue(writer.stream(), info);
            writer.commit();
        }
        return new Repository(opened, info);
    }

    static Optional<RepositoryInfo> readInfo(Storage storage) throws IOException {
        try (InputStream in = storage.read(INFO_KEY)) {
            RepositoryInfo info;
            try {
                info = JSON.readValue(in, RepositoryInfo.class);
                info.cluster(); // validates the recorded values
            } catch (IOException | RuntimeException e) {
                throw new CorruptObjectException(INFO_KEY + " in " + storage.describe() + " is unreadable: "
                        + e.getMessage(), e);
            }
            if (!info.readable()) {
                throw new IOException("repository " + storage.describe() + " has format " + info.format()
                        + (info.encryption() == null ? "" : " (encryption " + info.encryption() + ")")
                        + "; this walden reads format " + RepositoryInfo.FORMAT + " and, encrypted with "
                        + Keyring.CIPHER + ", " + RepositoryInfo.ENCRYPTED_FORMAT);
            }
            return Optional.of(info);
        } catch (NoSuchObjectException e) {
            return Optional.empty();
        }
    }

    /** Refuses a cluster other than the one this repository was created for. */
    public void checkBelongsTo(ClusterIdentity cluster) throws IOException {
        ClusterIdentity recorded = info.cluster();
        if (!recorded.equals(cluster)) {
            throw new IOException("repository " + storage.describe() + " belongs to " + recorded
                    + ", not to this cluster, " + cluster + "; give each cluster its own repository");
        }
    }

    public Storage storage() {
        return storage;
    }

    public RepositoryInfo info() {
        return info;
    }

    public ClusterIdentity cluster() {
        return info.cluster();
    }

    public WalArchive wal() {
        return wal;
    }

    /** The segments the agent streamed, apart from the archived WAL. */
    public WalStream stream() {
        return stream;
    }
}
