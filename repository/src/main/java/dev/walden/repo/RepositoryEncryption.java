package dev.walden.repo;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.crypto.EncryptingStorage;
import dev.walden.crypto.KeySource;
import dev.walden.crypto.Keyring;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.util.Optional;

/**
 * {@code repository.encryption} against what the repository records: the one place that decides
 * whether a command reads and writes through encryption. The configuration must agree with the
 * repository, both ways: a plaintext writer on an encrypted repository, or an encrypting one on
 * a plain repository, is refused, never switched silently.
 */
public final class RepositoryEncryption {
    private RepositoryEncryption() {
    }

    /** The key source for a new repository, when the configuration asks for encryption. */
    public static Optional<KeySource> requested(ConfigSource config) throws ConfigException {
        return encrypted(config) ? Optional.of(KeySource.from(config)) : Optional.empty();
    }

    /** Checks the value of repository.encryption, without requiring a key: for commands that don't open the repository. */
    static void check(ConfigSource config) throws ConfigException {
        encrypted(config);
        KeySource.check(config);
    }

    /**
     * The driver's storage as commands use it: through the repository's keys when it is
     * encrypted. A storage without a repository is returned as it is (opening the repository
     * then says there is none). Closes {@code driver} when it throws.
     */
    static Storage open(Storage driver, ConfigSource config) throws ConfigException, IOException {
        try {
            Optional<RepositoryInfo> info = Repository.readInfo(driver);
            if (info.isEmpty()) {
                return driver;
            }
            boolean wanted = encrypted(config);
            checkSame(driver, info.get(), wanted);
            if (!wanted) {
                return driver;
            }
            KeySource key = KeySource.from(config);
            String system = info.get().systemIdentifier();
            return new EncryptingStorage(driver, Keyring.open(driver, key, system),
                    Optional.of(() -> Keyring.open(driver, key, system)));
        } catch (ConfigException | IOException | RuntimeException e) {
            driver.close();
            throw e;
        }
    }

    /** Refuses a configuration whose choice of encryption differs from the repository's. */
    static void checkSame(Storage storage, RepositoryInfo info, boolean wanted) throws IOException {
        if (info.cipher().isPresent() && !wanted) {
            throw new IOException("repository " + storage.describe() + " is encrypted (" + info.encryption()
                    + "), but repository.encryption is none: set repository.encryption = " + info.encryption()
                    + " and its key (repository.encryption.key_file, repository.encryption.kms_key_id or "
                    + KeySource.PASSPHRASE_VARIABLE + ")");
        }
        if (info.cipher().isEmpty() && wanted) {
            throw new IOException("repository " + storage.describe() + " is not encrypted, but repository.encryption"
                    + " is " + Keyring.CIPHER + ": walden never switches a repository silently; set it to none, or"
                    + " create a new, encrypted repository with walden init");
        }
    }

    private static boolean encrypted(ConfigSource config) throws ConfigException {
        String value = config.required(ConfigKeys.ENCRYPTION).strip();
        if (value.equals("none")) {
            return false;
        }
        if (value.equals(Keyring.CIPHER)) {
            return true;
        }
        throw config.invalid(ConfigKeys.ENCRYPTION, "'" + value + "' is neither none nor " + Keyring.CIPHER);
    }
}
