package dev.walden.cli.setup;

import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.crypto.EncryptingStorage;
import dev.walden.crypto.KeySource;
import dev.walden.crypto.Keyring;
import dev.walden.repo.Repository;
import dev.walden.repo.RepositoryEncryption;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import dev.walden.wal.ClusterIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code walden init}: create the repository for the cluster in pgdata. Done once, on purpose by
 * an operator: an agent that created repositories by itself would start a fresh one on the root
 * filesystem the day the backup disk isn't mounted.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Create the repository (repository.path) for the cluster in pgdata, binding it to that "
                + "cluster's system identifier, major version and WAL segment size.",
                "Run once before the first 'walden agent'. Running it again for the same cluster changes nothing.",
                "An existing directory (repository.path) must be yours; if other users may use it, it is made "
                        + "private (0700) and the output says so, when it is empty or a walden repository.",
                "With repository.encryption = aes-256-gcm the repository is encrypted, for good: every object is "
                        + "encrypted with a data key of a new keyring.json, protected by the key file "
                        + "(repository.encryption.key_file), the KMS key (repository.encryption.kms_key_id) or the "
                        + "passphrase in WALDEN_REPOSITORY_PASSPHRASE."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the repository exists for this cluster",
                "1:not created: the message says why (another cluster's repository, unknown files, no pgdata, "
                        + "a directory of another user, a repository encrypted otherwise, no key or the wrong one)"})
public final class InitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws ConfigException, IOException {
        ConfigSource source = config.locate();
        Path pgdata = source.requiredPath(ConfigKeys.PGDATA);
        Path pgWal = source.path(ConfigKeys.PG_WAL).orElse(pgdata.resolve("pg_wal"));
        ClusterIdentity cluster = ClusterIdentity.read(pgdata, pgWal);
        Optional<KeySource> key = RepositoryEncryption.requested(source);
        try (Storage storage = StorageFactory.create(source, spec.commandLine().getOut()::println)) {
            Repository repository = Repository.create(storage, cluster, Clock.systemUTC(), key);
            spec.commandLine().getOut().println("repository " + storage.describe() + " belongs to " + cluster
                    + " (created " + repository.info().created() + ")");
            if (repository.storage() instanceof EncryptingStorage encrypted) {
                spec.commandLine().getOut().println("encrypted with " + repository.info().encryption() + "; its keys ("
                        + Keyring.KEY + ") are protected by " + encrypted.keyring().protection() + ". Keep a copy of"
                        + " that key outside the repository: without it nothing in the repository can be read.");
            }
        }
        return 0;
    }
}
