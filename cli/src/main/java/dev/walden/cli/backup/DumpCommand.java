package dev.walden.cli.backup;

import dev.walden.backup.BackupSettings;
import dev.walden.catalog.AuditLog;
import dev.walden.catalog.DumpManifest;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import dev.walden.console.ProgressBar;
import dev.walden.console.Sizes;
import dev.walden.dump.LogicalDump;
import dev.walden.repo.Json;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    ConfigOption config;

    @Option(names = {"--database", "-d"}, paramLabel = "NAME",
            description = "database to dump; repeat for several (default: dump.databases, else the connection's database)")
    List<String> databases;

    @Option(names = "--json", description = "print the results as JSON (progress goes to stderr)")
    boolean json;

    @Override
    public Integer call() throws ConfigException, IOException {
        ConfigSource source = config.locate();
        BackupSettings settings = BackupSettings.from(source, System.getenv());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> targets = databases == null || databases.isEmpty() ? settings.dumpDatabases() : databases;
        PrintWriter progressOut = json ? err : out;
        List<Map<String, Object>> results = new ArrayList<>();
        int failed = 0;
        try (Storage storage = StorageFactory.open(source)) {
            Repository.open(storage);
            LogicalDump dump = new LogicalDump(storage, settings.connection(), settings.dump(), Clock.systemDefaultZone());
            AuditLog audit = new AuditLog(storage);
            for (String database : targets) {
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("database", database);
                long started = System.nanoTime();
                Instant startedAt = Instant.now();
                // shown from when pg_dump runs: a server that can't be reached gets its error alone
                ProgressBar[] bar = new ProgressBar[1];
                try {
                    DumpManifest m;
                    try {
                        // pg_dump can't say how much it will write: bytes and rate, no ETA
                        m = dump.dump(database, () -> bar[0] = new ProgressBar(progressOut, "dumping " + database, 0,
                                "", 0), n -> bar[0].add(n, 0));
                    } finally {
                        if (bar[0] != null) {
                            bar[0].finish(); // a bar on a terminal must end its line before a result or an error
                        }
                    }
                    result.put("ok", true);
                    result.put("key", m.key());
                    result.put("original_bytes", m.originalBytes());
                    result.put("stored_bytes", m.storedBytes());
                    result.put("verification", m.verification());
                    if (!json) {
                        out.printf("dumped %s to %s: %s (%s stored), verified: %s%n", database, m.key(),
                                Sizes.bytes(m.originalBytes()), Sizes.bytes(m.storedBytes()), m.verification());
                    }
                    audit.tryAppend(AuditLog.entry("dump", database, true, m.key() + ", " + Sizes.bytes(m.storedBytes())
                            + " stored", startedAt, Clock.systemUTC(), "command"), w -> err.println("walden dump: " + w));
                } catch (IOException | RuntimeException e) {
                    failed++;
                    result.put("ok", false);
                    result.put("error", e.getMessage());
                    err.println("walden dump: " + database + ": " + e.getMessage());
                    audit.tryAppend(AuditLog.entry("dump", database, false, e.getMessage(), startedAt, Clock.systemUTC(),
                            "command"), w -> err.println("walden dump: " + w));
                }
                result.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
                results.add(result);
                out.flush();
            }
        }
        if (json) {
            Json.print(out, Map.of("dumps", results));
        }
        return failed == 0 ? 0 : 1;
    }

}
