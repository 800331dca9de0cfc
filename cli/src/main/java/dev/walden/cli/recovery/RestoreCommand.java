package dev.walden.cli.recovery;

import dev.walden.backup.BackupSettings;
import dev.walden.catalog.AuditLog;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import dev.walden.console.Shell;
import dev.walden.console.Sizes;
import dev.walden.db.ConnectionSettings;
import dev.walden.dump.DumpFormat;
import dev.walden.recovery.RefusedException;
import dev.walden.repo.Json;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.restore.DumpContents;
import dev.walden.restore.DumpSource;
import dev.walden.restore.LogicalRestore;
import dev.walden.restore.ReplaceConfirmation;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code walden restore}: a logical dump into a new database, as the old "safe restore" script did. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Restore a logical dump into a NEW database on the configured server (the database the dump "
                + "was taken from is never overwritten). The whole dump is verified first (checksum, completeness, "
                + "readable); it loads into a working database that takes the target's name only once its tables and "
                + "row counts match the dump, so a failed restore leaves nothing behind.",
                "DUMP is 'latest' (the newest verified dump of the configured database), 'latest:DB', a dump's name "
                        + "or key as 'walden list' shows it, or a dump file on disk.",
                "Prints the restored database's connection string (never a password)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:restored (or, with --dry-run, the dump is good and the restore would go ahead)",
                "1:nothing was restored; the message says why"})
public final class RestoreCommand implements Callable<Integer> {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss");

    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Parameters(index = "0", paramLabel = "DUMP", description = "latest, latest:DB, a dump name or key, or a file")
    String dump;

    @Option(names = {"-d", "--database"}, paramLabel = "NAME",
            description = "database to restore into (default: <db>_restored_<yyyyMMdd_HHmmss>)")
    String database;

    @Option(names = {"-D", "--drop"}, description = "replace the target database if it exists (asks first, unless -f)")
    boolean drop;

    @Option(names = {"-f", "--force"}, description = "don't ask before replacing with -D")
    boolean force;

    @Option(names = "--dry-run", description = "verify the dump and say what would happen; change nothing")
    boolean dryRun;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "1",
            description = "parallel pg_restore jobs for custom-format dumps (default: ${DEFAULT-VALUE})")
    int jobs;

    @Option(names = "--spool-dir", paramLabel = "DIR",
            description = "where a custom-format dump is unpacked for pg_restore (default: the temp directory)")
    Path spoolDirectory;

    @Option(names = "--json", description = "print the outcome as JSON on stdout; progress and messages go to stderr")
    boolean json;

    @Override
    public Integer call() throws ConfigException, IOException {
        if (jobs < 1) {
            throw new ParameterException(spec.commandLine(), "--jobs: '" + jobs + "' is not a number of jobs (1 or more)");
        }
        PrintWriter data = spec.commandLine().getOut();
        // with --json, stdout carries the one JSON document; everything for people goes to stderr
        PrintWriter out = json ? spec.commandLine().getErr() : data;
        ConfigSource source = config.locate();
        BackupSettings settings = BackupSettings.from(source, System.getenv());
        ConnectionSettings server = settings.connection();
        try (Storage storage = StorageFactory.open(source)) {
            Repository.open(storage);
            AuditLog audit = new AuditLog(storage);
            Audited audited = new Audited();
            // what the entry names until the dump is known: the database asked for, else the dump
            audited.target = database != null ? database + " on " + server.withDatabase(database).displayUrl()
                    : "a new database from " + dump;
            try {
                return restore(storage, settings, server, data, out, audited);
            } catch (IOException | RuntimeException e) {
                // a dry run changes nothing and is not audited; a failure cleaning up after a restore that
                // worked (and was audited) is not a failed restore
                if (!dryRun && !audited.written) {
                    audit.tryAppend(e instanceof RefusedException
                            ? AuditLog.refused("restore", audited.target, e.getMessage(), audited.started,
                            Clock.systemUTC(), "command")
                            : AuditLog.entry("restore", audited.target, false, e.getMessage(), audited.started,
                            Clock.systemUTC(), "command"), w -> spec.commandLine().getErr().println("walden restore: " + w));
                }
                throw e;
            }
        }
    }

    /** What the audit entry names, and whether the entry of a restore that worked is written. */
    private static final class Audited {
        final Instant started = Instant.now();
        String target;
        boolean written;
    }

    private int restore(Storage storage, BackupSettings settings, ConnectionSettings server, PrintWriter data,
                        PrintWriter out, Audited audited) throws IOException {
        String defaultDatabase = settings.dumpDatabases().isEmpty() ? server.database()
                : settings.dumpDatabases().get(0);
        DumpSource dumpSource = DumpSource.resolve(dump, storage, defaultDatabase);
        String target = database != null ? database : LogicalRestore.truncate(dumpSource.database(),
                "_restored_" + LocalDateTime.now().format(STAMP));
        String where = server.withDatabase(target).displayUrl();
        audited.target = target + " on " + where;
        LogicalRestore restore = new LogicalRestore(server, new LogicalRestore.Options(settings.pgBin(),
                spoolDirectory != null ? spoolDirectory : Path.of(System.getProperty("java.io.tmpdir")), jobs), out);

        out.printf("walden restore: %s (database %s, %s%s)%n", dumpSource.description(), dumpSource.database(),
                dumpSource.format() == DumpFormat.PLAIN ? "plain SQL" : "custom format",
                dumpSource.originalBytes() >= 0 ? ", " + Sizes.bytes(dumpSource.originalBytes())
                        : "");
        out.flush();
        long began = System.nanoTime();
        // the cheap checks first: nobody waits through a long verification to learn the name is taken
        LogicalRestore.Plan plan = restore.check(dumpSource.database(), "the dump was taken from", target, drop, "-d");
        String action = (plan.replaces() ? "replace the existing database '" + target + "'"
                : "create database '" + target + "'") + " on " + where + " and load it with "
                + (dumpSource.format() == DumpFormat.PLAIN ? "psql" : "pg_restore");
        if (plan.replaces() && !dryRun && !force && !ReplaceConfirmation.ask(target, out)) {
            throw new RefusedException("not confirmed; database '" + target + "' is unchanged (-f replaces without "
                    + "asking)");
        }
        Map<String, Object> outcome = new LinkedHashMap<>();
        outcome.put("dump", dumpSource.description());
        outcome.put("dump_database", dumpSource.database());
        outcome.put("database", target);
        outcome.put("dry_run", dryRun);
        try (LogicalRestore.Verified verified = restore.verify(dumpSource, !dryRun)) {
            DumpContents contents = verified.contents();
            out.printf("verified: %s, complete, %d table(s), %d row(s) of data%n",
                    dumpSource.sha256().isPresent() ? "checksum matches" : "no manifest, so no checksum to check",
                    contents.tables().size(), contents.totalRows());
            outcome.put("tables_in_dump", contents.tables().size());
            outcome.put("rows_in_dump", contents.totalRows());
            if (dryRun) {
                out.println("would " + action);
                out.println("dry run: nothing was changed");
                outcome.put("would", action);
                printJson(data, outcome);
                return 0;
            }
            out.println("restoring: " + action);
            out.flush();
            long verifiedAt = System.nanoTime();
            LogicalRestore.Result result = restore.restore(verified, plan);
            long done = System.nanoTime();
            audited.written = true;
            new AuditLog(storage).tryAppend(AuditLog.entry("restore", audited.target, true, "from "
                    + dumpSource.description() + "; " + result.tablesRestored() + " table(s), " + result.rowsCompared()
                    + " row(s) checked", audited.started, Clock.systemUTC(), "command"),
                    w -> spec.commandLine().getErr().println("walden restore: " + w));
            out.printf("restored %s into database '%s': %d table(s) (the dump creates %d), %d row(s) in %d "
                            + "table(s) match the dump%n", dumpSource.description(), result.database(),
                    result.tablesRestored(), result.tablesInDump(), result.rowsCompared(), result.tablesCounted());
            if (!result.notCounted().isEmpty()) {
                out.println("not counted (over 1 GiB): " + String.join(", ", result.notCounted()));
            }
            out.printf("took %.1f s (verify %.1f s, restore %.1f s)%n", (done - began) / 1e9,
                    (verifiedAt - began) / 1e9, (done - verifiedAt) / 1e9);
            out.printf("connect: psql %s%n", Shell.quote(where));
            out.flush();
            outcome.put("replaced", plan.replaces());
            outcome.put("tables_restored", result.tablesRestored());
            outcome.put("rows_compared", result.rowsCompared());
            outcome.put("tables_counted", result.tablesCounted());
            outcome.put("not_counted", result.notCounted());
            outcome.put("seconds", Math.round((done - began) / 1e7) / 100.0);
            outcome.put("verify_seconds", Math.round((verifiedAt - began) / 1e7) / 100.0);
            outcome.put("restore_seconds", Math.round((done - verifiedAt) / 1e7) / 100.0);
            outcome.put("connection", where);
            printJson(data, outcome);
            return 0;
        }
    }

    private void printJson(PrintWriter data, Map<String, Object> outcome) {
        if (json) {
            Json.print(data, outcome);
        }
    }
}
