package dev.walden.repo;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.storage.PosixStorage;
import dev.walden.storage.Storage;
import java.io.IOException;

/**
 * Builds the storage driver the configuration asks for. Commands ask here for their storage and
 * never construct drivers themselves, so adding S3 changes this class and nothing that uses it.
 */
public final class StorageFactory {
    private StorageFactory() {
    }

    /** The existing storage; never creates anything. */
    public static Storage open(ConfigSource config) throws ConfigException, IOException {
        return new PosixStorage(config.requiredPath(ConfigKeys.REPOSITORY_PATH));
    }

    /** The storage, created where that makes sense (a missing last directory): for {@code walden init}. */
    public static Storage create(ConfigSource config) throws ConfigException, IOException {
        return PosixStorage.create(config.requiredPath(ConfigKeys.REPOSITORY_PATH));
    }
}
