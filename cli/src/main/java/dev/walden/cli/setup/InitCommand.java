package dev.walden.cli.setup;

import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import dev.walden.wal.ClusterIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
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
                        + "private (0700) and the output says so."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the repository exists for this cluster",
                "1:not created: the message says why (another cluster's repository, unknown files, no pgdata, "
                        + "a directory of another user)"})
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
        try (Storage storage = StorageFactory.create(source, spec.commandLine().getOut()::println)) {
            String created = Repository.create(storage, cluster, Clock.systemUTC()).info().created();
            spec.commandLine().getOut().println("repository " + storage.describe() + " belongs to " + cluster
                    + " (created " + created + ")");
        }
        return 0;
    }
}
