package dev.walden.dump;

import dev.walden.backup.BackupSettings;
import dev.walden.catalog.DumpManifest;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walden dump}: a logical dump of each configured database, verified, with a latest pointer. */
@Command(name = "dump", mixinStandardHelpOptions = true,
        description = {"Dump databases with pg_dump into the repository: dumps/<db>/<db>_backup_<yyyyMMdd_HHmmss>.sql "
                + "(plain SQL, uncompressed by default), verified before it counts, with dumps/<db>/latest_backup.sql "
                + "pointing at the newest good one.",
                "A logical dump restores one database as it was when the dump ran; it can't be rolled forward with "
                        + "WAL (that is what base backups are for).",
                "Connects with DATABASE_URL, DB_HOST/DB_PORT/DB_USER/DB_NAME, PG* variables and .pgpass; the password "
                        + "never appears on a command line or in a log."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every database was dumped and verified", "1:at least one dump failed (the others were kept)"})
public final class DumpCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "config file (default: $WALDEN_CONFIG, else /etc/walden/walden.conf)")
    String config;

    @Option(names = {"--database", "-d"}, paramLabel = "NAME",
            description = "database to dump; repeat for several (default: dump.databases, else the connection's database)")
    List<String> databases;

    @Override
    public Integer call() throws ConfigException, IOException {
        ConfigSource source = ConfigSource.locate(config, System.getenv());
        BackupSettings settings = BackupSettings.from(source, System.getenv());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> targets = databases == null || databases.isEmpty() ? settings.dumpDatabases() : databases;
        int failed = 0;
        try (Storage storage = StorageFactory.open(source)) {
            Repository.open(storage);
            LogicalDump dump = new LogicalDump(storage, settings.connection(), settings.dump(), Clock.systemDefaultZone());
            for (String database : targets) {
                try {
                    DumpManifest m = dump.dump(database);
                    out.printf("dumped %s to %s: %s (%s stored), verified: %s%n", database, m.key(),
                            size(m.originalBytes()), size(m.storedBytes()), m.verification());
                } catch (IOException e) {
                    failed++;
                    err.println("walden dump: " + database + ": " + e.getMessage());
                }
                out.flush();
            }
        }
        return failed == 0 ? 0 : 1;
    }

    static String size(long bytes) {
        if (bytes < 1024 * 1024) {
            return String.format("%.1f KiB", bytes / 1024.0);
        }
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
