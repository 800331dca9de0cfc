package dev.walden.repo;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.storage.Storage;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.storage.s3.S3Settings;
import dev.walden.storage.s3.S3Storage;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.function.Consumer;

/**
 * Builds the storage driver the configuration asks for ({@code repository.type}). Commands ask
 * here for their storage and never construct drivers themselves.
 */
public final class StorageFactory {
    private StorageFactory() {
    }

    /**
     * The existing storage; never creates anything. A posix repository must belong to the user
     * running walden, with nobody else allowed to write in it or to its repository.json (S3 has
     * IAM for that). An encrypted repository comes back reading and writing through its keys
     * ({@link RepositoryEncryption}).
     */
    public static Storage open(ConfigSource config) throws ConfigException, IOException {
        Storage driver = switch (type(config)) {
            case "s3" -> S3Storage.open(S3Settings.from(config));
            default -> checked(openPosix(config));
        };
        return RepositoryEncryption.open(driver, config);
    }

    private static PosixStorage openPosix(ConfigSource config) throws ConfigException, IOException {
        try {
            return new PosixStorage(config.requiredPath(ConfigKeys.REPOSITORY_PATH));
        } catch (NoSuchFileException e) {
            // a relative default that isn't there says little unless it says it was the default
            throw new IOException(e.getReason() + config.fallbackNote(ConfigKeys.REPOSITORY_PATH).map(n -> "; " + n)
                    .orElse(""), e);
        }
    }

    /**
     * The storage, created where that makes sense: for {@code walden init}. A missing last
     * directory of a posix repository is made, an existing one made private (0700) when others
     * may use it, with a line to {@code notices}; an S3 bucket must already exist (creating one is
     * a decision about region, encryption, versioning and lifecycle that belongs to its owner).
     */
    public static Storage create(ConfigSource config, Consumer<String> notices) throws ConfigException, IOException {
        return switch (type(config)) {
            case "s3" -> S3Storage.open(S3Settings.from(config));
            default -> checked(PosixStorage.create(config.requiredPath(ConfigKeys.REPOSITORY_PATH), notices));
        };
    }

    /** Every command believes repository.json (which cluster, which format): nobody else may have written it. */
    private static PosixStorage checked(PosixStorage storage) throws IOException {
        storage.checkPrivate(Repository.INFO_KEY);
        return storage;
    }

    /**
     * Checks the values of the repository keys ({@code repository.type}, {@code repository.path},
     * {@code repository.s3.*}) as {@link #open} would, without opening or requiring anything.
     */
    public static void check(ConfigSource config) throws ConfigException {
        type(config);
        RepositoryEncryption.check(config);
        config.path(ConfigKeys.REPOSITORY_PATH);
        S3Settings.check(config);
    }

    private static String type(ConfigSource config) throws ConfigException {
        String type = config.required(ConfigKeys.REPOSITORY_TYPE).strip();
        if (!type.equals("posix") && !type.equals("s3")) {
            throw config.invalid(ConfigKeys.REPOSITORY_TYPE, "'" + type + "' is neither posix nor s3");
        }
        return type;
    }
}
