package dev.walden.cli.recovery;

import dev.walden.catalog.AuditLog;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.crypto.KeyUsage;
import dev.walden.recovery.RepositoryVerifier;
import dev.walden.repo.Json;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walden verify}: read everything back and check it. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Read every object of the repository back (WAL, files of usable base backups, verified dumps) "
                + "and check each against the SHA-256 it was stored with; check that WAL has no gap on any timeline and "
                + "that every usable backup has its WAL; report the recoverable windows (split wherever WAL is missing).",
                "In an encrypted repository, every object is authenticated as it is read, and the report counts the "
                        + "objects under each key, naming some still under a retired one.",
                "Adds an entry to the repository's audit trail ('walden audit') with the result."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:healthy", "1:problems found (each is named)", "2:the repository could not be read"})
public final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--json", description = "machine-readable output")
    boolean json;

    @Override
    public Integer call() throws ConfigException {
        ConfigSource source = config.locate();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RepositoryVerifier.Result result;
        try (Storage storage = StorageFactory.open(source)) {
            Repository repository = Repository.open(storage);
            Instant started = Instant.now();
            AuditLog audit = new AuditLog(storage);
            try {
                result = new RepositoryVerifier(repository, source.integer(ConfigKeys.BACKUP_WORKERS, 1, 64),
                        json ? err : out).verify();
            } catch (IOException | RuntimeException e) {
                audit.tryAppend(AuditLog.entry("verify", storage.describe(), false, e.getMessage(), started,
                        Clock.systemUTC(), "command"), w -> err.println("walden verify: " + w));
                throw e;
            }
            audit.tryAppend(AuditLog.entry("verify", storage.describe(), result.healthy(), result.summary(), started,
                    Clock.systemUTC(), "command"), w -> err.println("walden verify: " + w));
        } catch (IOException e) {
            err.println("walden verify: " + e.getMessage());
            return 2;
        }
        try {
            if (json) {
                out.println(Json.MAPPER.writeValueAsString(result));
            } else {
                out.println(result.summary());
                for (RepositoryVerifier.Problem p : result.problems()) {
                    out.printf("%s: %s%n", p.kind().toUpperCase(java.util.Locale.ROOT), p.message());
                }
                for (KeyUsage key : result.keys()) {
                    out.println("KEY: " + key.describe() + (key.retired() && key.objects() > 0
                            ? "; 'walden key rewrap' re-encrypts them with the current key" : ""));
                }
                ListCommand.printWindows(result.windows(), out);
                out.println(result.healthy() ? "healthy" : result.problems().size() + " problem(s)");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
        return result.healthy() ? 0 : 1;
    }
}
