package dev.walden.recovery;

import dev.walden.catalog.Json;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.console.Sizes;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walden verify}: read everything back and check it. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Read every object of the repository back (WAL, files of usable base backups, verified dumps) "
                + "and check each against the SHA-256 it was stored with; check that WAL has no gap on any timeline and "
                + "that every usable backup has its WAL; report the recoverable window."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:healthy", "1:problems found (each is named)", "2:the repository could not be read"})
public final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "config file (default: $WALDEN_CONFIG, else /etc/walden/walden.conf)")
    String config;

    @Option(names = "--json", description = "machine-readable output")
    boolean json;

    @Override
    public Integer call() throws ConfigException {
        ConfigSource source = ConfigSource.locate(config, System.getenv());
        PrintWriter out = spec.commandLine().getOut();
        RepositoryVerifier.Result result;
        try (Storage storage = StorageFactory.open(source)) {
            result = new RepositoryVerifier(Repository.open(storage), source.integer(ConfigKeys.BACKUP_WORKERS, 1, 64),
                    json ? spec.commandLine().getErr() : out)
                    .verify();
        } catch (IOException e) {
            spec.commandLine().getErr().println("walden verify: " + e.getMessage());
            return 2;
        }
        try {
            if (json) {
                out.println(Json.MAPPER.writeValueAsString(result));
            } else {
                out.printf("checked %d objects (%s of original data)%n", result.objectsChecked(),
                        Sizes.bytes(result.bytesChecked()));
                for (RepositoryVerifier.Problem p : result.problems()) {
                    out.printf("%s: %s%n", p.kind().toUpperCase(java.util.Locale.ROOT), p.message());
                }
                if (result.recoverable() != null) {
                    out.printf("recoverable from %s (end of backup %s) to about %s (%s)%n",
                            result.recoverable().earliest(), result.recoverable().fromBackup(),
                            result.recoverable().latest(), result.recoverable().latestWal());
                }
                out.println(result.healthy() ? "healthy" : result.problems().size() + " problem(s)");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
        return result.healthy() ? 0 : 1;
    }
}
