package dev.walden.cli.recovery;

import dev.walden.backup.BackupSettings;
import dev.walden.catalog.AuditLog;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.config.Durations;
import dev.walden.console.Shell;
import dev.walden.db.ConnectionSettings;
import dev.walden.db.ConnectionUri;
import dev.walden.recovery.DiskSpace;
import dev.walden.recovery.PointInTimeRecovery;
import dev.walden.recovery.RecoveredServer;
import dev.walden.recovery.RecoveryPort;
import dev.walden.recovery.RecoveryReport;
import dev.walden.recovery.RecoveryTarget;
import dev.walden.recovery.RefusedException;
import dev.walden.recovery.StandbySettings;
import dev.walden.repo.Json;
import dev.walden.repo.StorageFactory;
import dev.walden.restore.DatabaseCopy;
import dev.walden.storage.Storage;
import dev.walden.wal.Lsn;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code walden recover}: point-in-time recovery into a new data directory and port, next to
 * production and never over it.
 */
@Command(name = "recover", mixinStandardHelpOptions = true,
        description = {"Recover the cluster as it was at a point in time, into a NEW data directory, started on its "
                + "own port next to production (which is never touched): restore the base backup that ended before the "
                + "target, stage exactly the WAL needed, start PostgreSQL in recovery and wait until it reaches the "
                + "target.",
                "The recovered cluster archives nowhere (archive_mode = on, no archive_command), so it can't write "
                        + "into the production repository, and it keeps every WAL file it writes until archiving is "
                        + "set up, so it can become production without a gap (docs/recovery.md)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the recovered cluster reached the target", "1:it did not, or walden refused before "
                + "starting; the message says why", "2:a mistake in the options (nothing was done)"})
public final class RecoverCommand implements Callable<Integer> {
    // Values an operator may copy (a time, a path) stand on description lines of their own, so
    // that the help's wrapping never splits them.

    static final class Target {
        @Option(names = "--target-time", paramLabel = "TIME",
                description = {"ISO-8601 time with its zone, e.g.", "2026-11-24T14:05:00+01:00"})
        String time;

        @Option(names = "--target-lsn", paramLabel = "LSN", description = "a WAL location, e.g. 0/3A000148")
        String lsn;

        @Option(names = "--target-xid", paramLabel = "XID", description = "a transaction id")
        Long xid;

        @Option(names = "--target-name", paramLabel = "NAME", description = "a restore point (pg_create_restore_point)")
        String name;

        @Option(names = "--immediate", description = "the end of the base backup: the earliest consistent point")
        boolean immediate;

        @Option(names = "--latest", description = "everything archived")
        boolean latest;

        /** The target the options name; a malformed time or LSN is a mistake in the options. */
        RecoveryTarget parse(CommandSpec spec) {
            if (latest) {
                return new RecoveryTarget.Latest();
            } else if (immediate) {
                return new RecoveryTarget.Immediate();
            } else if (xid != null) {
                return new RecoveryTarget.Xid(xid);
            } else if (name != null) {
                return new RecoveryTarget.Name(name);
            } else if (lsn != null) {
                try {
                    return new RecoveryTarget.AtLsn(Lsn.parse(lsn));
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), "--target-lsn: " + e.getMessage());
                }
            }
            try {
                return new RecoveryTarget.Time(OffsetDateTime.parse(time));
            } catch (DateTimeParseException e) {
                throw new ParameterException(spec.commandLine(), "--target-time: '" + time
                        + "' is not an ISO-8601 time with a zone (e.g. 2026-11-24T14:05:00+01:00 or 2026-11-24T13:05:00Z)");
            }
        }
    }

    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @ArgGroup(exclusive = true, multiplicity = "0..1", heading = "%nTarget (exactly one; none with --standby):%n")
    Target target;

    @Option(names = "--target-timeline", paramLabel = "TLI|latest", defaultValue = "latest",
            description = "timeline to follow (default: ${DEFAULT-VALUE}, the newest archived one)")
    String timeline;

    @Option(names = "--target-exclusive", description = "stop just before the target instead of just after it")
    boolean exclusive;

    @Option(names = "--action", paramLabel = "ACTION", defaultValue = "promote",
            description = "at the target: pause, promote or shutdown (default: ${DEFAULT-VALUE})")
    String action;

    @Option(names = "--pgdata", paramLabel = "DIR",
            description = {"new data directory, missing or empty; default: a new one next to production's "
                    + "pgdata, whatever the working directory:", "<pgdata>/../walden-recovered-<yyyyMMdd-HHmmss>"})
    Path pgdata;

    @Option(names = "--port", paramLabel = "PORT", description = "port of the recovered server, not production's "
            + "and not in use (default: a free one)")
    Integer port;

    @Option(names = "--backup", paramLabel = "LABEL",
            description = "base backup to start from (default: the newest that ended before the target)")
    String backup;

    @Option(names = "--tablespace", paramLabel = "OID=DIR",
            description = {"where a tablespace goes, missing or empty; repeatable; default:",
                    "<pgdata>.tablespaces/<oid>"})
    Map<String, Path> tablespaces = new HashMap<>();

    @Option(names = "--pg-bin", paramLabel = "DIR",
            description = "PostgreSQL's programs for the backup's major version (default: pg_bin, else found)")
    Path pgBin;

    @Option(names = "--no-stage", description = "don't stage WAL; PostgreSQL fetches each file with walden fetch")
    boolean noStage;

    @Option(names = "--keep-staged", description = {"keep the staged WAL (<pgdata>.wal) once a promoted server no "
            + "longer needs it; paused, shut down or not started, it is always kept"})
    boolean keepStaged;

    @Option(names = "--delta", description = {"recover into DIR (--pgdata), an existing recovered copy (never "
            + "production's data directory; no server may run in it), for example to try another target: files "
            + "that already match the backup are kept, files the backup lacks are removed, the rest are written "
            + "anew"})
    boolean delta;

    @Option(names = "--no-start", description = "prepare the data directory only; don't start PostgreSQL")
    boolean noStart;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "1h",
            description = "longest the recovery itself may take (default: ${DEFAULT-VALUE})")
    String timeout;

    @Option(names = "--into-database", paramLabel = "NAME",
            description = "copy one database of the recovered cluster into a NEW database NAME on the production "
                    + "server (pg_dump | pg_restore), then stop and remove the recovered cluster")
    String intoDatabase;

    @Option(names = "--database", paramLabel = "DB",
            description = "with --into-database: the database to copy (default: the configured one)")
    String database;

    @Option(names = {"-D", "--drop"}, description = "with --into-database: replace NAME if it exists (asks first, "
            + "unless -f)")
    boolean drop;

    @Option(names = {"-f", "--force"}, description = "with --into-database -D: don't ask")
    boolean force;

    @Option(names = "--standby", description = {"build a streaming standby of production instead: standby.signal, "
            + "primary_conninfo, restore_command = walden fetch to catch up from the repository, archiving off; it "
            + "runs until you stop or promote it"})
    boolean standby;

    @Option(names = "--primary-conninfo", paramLabel = "CONNINFO",
            description = {"with --standby: primary_conninfo (default: the configured connection's host, port and "
                    + "user, application_name=walden_standby); never a password: the server user's ~/.pgpass has it"})
    String primaryConninfo;

    @Option(names = "--slot", paramLabel = "NAME", description = "with --standby: primary_slot_name")
    String slot;

    @Option(names = "--create-slot", description = "with --standby --slot: create the physical slot on the primary "
            + "first (unless it exists)")
    boolean createSlot;

    @Option(names = "--archive-mode", paramLabel = "MODE", description = "with --standby: off (the default: the "
            + "primary archives) or always (the standby archives what it receives too, through this host's agent, "
            + "into the same repository: files the primary stored already are acknowledged when identical)")
    String archiveMode;

    @Option(names = "--json", description = "print the outcome as JSON on stdout; progress and messages go to stderr")
    boolean json;

    @Override
    public Integer call() throws ConfigException, IOException, InterruptedException {
        // every mistake in the options is named before the configuration is even read
        if (target == null && !standby) {
            throw new ParameterException(spec.commandLine(), "a target is needed: one of --target-time, --target-lsn, "
                    + "--target-xid, --target-name, --immediate, --latest");
        }
        RecoveryTarget recoveryTarget = target == null ? new RecoveryTarget.Latest() : target.parse(spec);
        checkStandbyOptions(recoveryTarget);
        RecoveryTarget.Action recoveryAction = action();
        Optional<Integer> recoveryTimeline = timeline();
        Duration limit = timeout();
        if (port != null && (port < 1 || port > RecoveryPort.MAX)) {
            throw new ParameterException(spec.commandLine(), "--port: '" + port + "' is not a port number (1-"
                    + RecoveryPort.MAX + ")");
        }
        if (intoDatabase == null && (database != null || drop || force)) {
            throw new ParameterException(spec.commandLine(), "--database, -D and -f go with --into-database");
        }
        if (intoDatabase != null && (noStart || recoveryAction != RecoveryTarget.Action.PROMOTE)) {
            throw new ParameterException(spec.commandLine(), "--into-database copies from a promoted, running "
                    + "recovered cluster: --no-start and --action " + action + " don't go with it");
        }
        if (delta && (pgdata == null || intoDatabase != null)) {
            throw new ParameterException(spec.commandLine(), "--delta rewrites the recovered copy --pgdata names; "
                    + "it needs --pgdata and does not go with --into-database");
        }
        if (keepStaged && noStage) {
            throw new ParameterException(spec.commandLine(), "--keep-staged keeps staged WAL; --no-stage stages none");
        }
        PrintWriter data = spec.commandLine().getOut();
        // with --json, stdout carries the one JSON document; everything for people goes to stderr
        PrintWriter out = json ? spec.commandLine().getErr() : data;
        ConfigSource source = config.locate();
        Path directory = (pgdata != null ? pgdata : defaultDirectory(source)).toAbsolutePath();
        Optional<StandbySettings> standbySettings = Optional.empty();
        if (standby) {
            try {
                standbySettings = Optional.of(new StandbySettings(primaryConninfo != null ? primaryConninfo
                        : conninfo(BackupSettings.from(source, System.getenv()).connection()), Optional.ofNullable(slot),
                        createSlot, "always".equals(archiveMode)));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), (slot != null && e.getMessage().contains(slot)
                        ? "--slot: " : "--primary-conninfo: ") + e.getMessage());
            }
        }
        PointInTimeRecovery.Request request = PointInTimeRecovery.Request.to(recoveryTarget, directory)
                .action(recoveryAction).timeline(recoveryTimeline).exclusive(exclusive)
                .port(Optional.ofNullable(port)).backup(Optional.ofNullable(backup)).tablespaces(tablespaces)
                .pgBin(Optional.ofNullable(pgBin)).stage(!noStage).start(!noStart).timeout(limit)
                .privateCopy(intoDatabase != null).keepStaged(keepStaged).delta(delta).standby(standbySettings).build();
        Instant started = Instant.now();
        String what = intoDatabase != null ? "database " + intoDatabase + " (copied from a recovery)"
                : directory + (standby ? " (a new standby)" : " (a new cluster)");
        try {
            int status = intoDatabase != null
                    ? new DatabaseCopy(source, out).copy(request, Optional.ofNullable(database), intoDatabase, drop, force)
                    : recover(source, request, out, data);
            audit(source, AuditLog.entry("recover", what, status == 0, request.target().describe(), started,
                    Clock.systemUTC(), "command"));
            if (json && intoDatabase != null) {
                Json.print(data, Map.of("into_database", intoDatabase, "target", request.target().describe(),
                        "ok", status == 0));
            }
            return status;
        } catch (IOException | RuntimeException | InterruptedException e) {
            String detail = request.target().describe() + ": " + e.getMessage();
            audit(source, e instanceof RefusedException
                    ? AuditLog.refused("recover", what, detail, started, Clock.systemUTC(), "command")
                    : AuditLog.entry("recover", what, false, detail, started, Clock.systemUTC(), "command"));
            throw e;
        }
    }

    /** --standby goes with none of the options that shape a recovery to a target, and its own go only with it. */
    private void checkStandbyOptions(RecoveryTarget recoveryTarget) {
        if (!standby) {
            if (primaryConninfo != null || slot != null || createSlot || archiveMode != null) {
                throw new ParameterException(spec.commandLine(), "--primary-conninfo, --slot, --create-slot and "
                        + "--archive-mode go with --standby");
            }
            return;
        }
        if (!(recoveryTarget instanceof RecoveryTarget.Latest) || exclusive || !action.equals("promote") || noStart
                || noStage || keepStaged || delta || intoDatabase != null) {
            throw new ParameterException(spec.commandLine(), "--standby follows the primary from the end of the "
                    + "archive: no target but --latest, and not with --target-exclusive, --action, --no-start, "
                    + "--no-stage, --keep-staged, --delta or --into-database");
        }
        if (createSlot && slot == null) {
            throw new ParameterException(spec.commandLine(), "--create-slot needs --slot NAME");
        }
        if (archiveMode != null && !archiveMode.equals("off") && !archiveMode.equals("always")) {
            throw new ParameterException(spec.commandLine(), "--archive-mode: '" + archiveMode + "' is neither off "
                    + "nor always");
        }
    }

    /**
     * primary_conninfo from production's connection settings: host, port, user (and sslmode), named
     * walden_standby in pg_stat_replication; never the password.
     */
    static String conninfo(ConnectionSettings production) {
        StringBuilder s = new StringBuilder();
        production.host().ifPresent(h -> s.append("host=").append(quote(h)).append(' '));
        s.append("port=").append(production.port()).append(" user=").append(quote(production.user()))
                .append(" application_name=walden_standby");
        return s.toString();
    }

    /** A conninfo value: quoted when it must be, with ' and \ escaped. */
    private static String quote(String value) {
        return value.matches("[A-Za-z0-9_./-]+") ? value
                : "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /**
     * Where a recovery goes when --pgdata is not given: next to production's data directory, in the
     * directory that holds it. Not the working directory, which at 3 a.m. may be root's home or /:
     * that directory belongs to the PostgreSQL user, is on the server's data disk, and is where
     * a DBA looks for clusters. {@link DiskSpace} checks that the copy fits there.
     */
    private static Path defaultDirectory(ConfigSource source) throws ConfigException {
        Path production = source.requiredPath(ConfigKeys.PGDATA).toAbsolutePath().normalize();
        Path parent = production.getParent() != null ? production.getParent() : production;
        return parent.resolve("walden-recovered-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    private int recover(ConfigSource source, PointInTimeRecovery.Request request, PrintWriter out, PrintWriter data)
            throws ConfigException, IOException, InterruptedException {
        PointInTimeRecovery.Recovered recovered = new PointInTimeRecovery(source, out).recover(request);
        if (recovered.outcome().isEmpty()) {
            out.printf("prepared %s; start it with: %s -D %s start%n", recovered.pgdata(),
                    Shell.quote(recovered.bin().resolve("pg_ctl").toString()), Shell.quote(recovered.pgdata().toString()));
            recovered.staged().ifPresent(w -> out.printf("staged WAL in %s: its restore_command reads there; remove "
                    + "it with the cluster%n", w));
            out.flush();
            if (json) {
                Json.print(data, Map.of("pgdata", recovered.pgdata().toString(), "backup", recovered.backup().label(),
                        "started", false));
            }
            return 0;
        }
        RecoveryReport.print(recovered, request, out);
        ConnectionSettings production = BackupSettings.from(source, System.getenv()).connection();
        String connection = ConnectionUri.of(production.user(), Optional.of(recovered.socketDirectory().toString()),
                recovered.port(), production.database());
        out.printf("connect: psql %s%n", Shell.quote(connection));
        out.printf("log: %s; stop it with: %s -D %s stop%n", recovered.log(),
                Shell.quote(recovered.bin().resolve("pg_ctl").toString()), Shell.quote(recovered.pgdata().toString()));
        out.flush();
        if (json) {
            RecoveredServer.Outcome outcome = recovered.outcome().orElseThrow();
            PointInTimeRecovery.Phases p = recovered.phases();
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("pgdata", recovered.pgdata().toString());
            result.put("port", recovered.port());
            result.put("backup", recovered.backup().label());
            result.put("target", request.target().describe());
            result.put("reached", outcome.stoppedAt().orElse(null));
            result.put("last_wal_replayed", outcome.replayed().flatMap(RecoveredServer.Replayed::lsn).orElse(null));
            result.put("last_transaction", outcome.replayed().flatMap(RecoveredServer.Replayed::lastTransaction)
                    .orElse(null));
            result.put("timeline", outcome.timeline().orElse(recovered.timeline()));
            result.put("promoted", outcome.timeline().isPresent());
            result.put("standby", standby);
            result.put("state", outcome.state());
            result.put("staged_wal", recovered.staged().map(Path::toString).orElse(null));
            result.put("phases_seconds", Map.of("plan", p.plan(), "restore", p.restore(), "stage", p.stage(),
                    "recover", p.recover(), "total", p.total()));
            result.put("connection", connection);
            result.put("log", recovered.log().toString());
            Json.print(data, result);
        }
        return 0;
    }

    /** Recovery only reads the repository, but its audit entry goes there too; a failure to write it is a warning. */
    private void audit(ConfigSource source, AuditLog.Entry entry) {
        java.util.function.Consumer<String> warn = w -> spec.commandLine().getErr().println("walden recover: " + w);
        try (Storage storage = StorageFactory.open(source)) {
            new AuditLog(storage).tryAppend(entry, warn);
        } catch (IOException | ConfigException | RuntimeException e) {
            warn.accept("could not open the repository for the audit log: " + e.getMessage());
        }
    }

    private RecoveryTarget.Action action() {
        try {
            return RecoveryTarget.Action.valueOf(action.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--action: '" + action
                    + "' is not pause, promote or shutdown");
        }
    }

    private Duration timeout() {
        try {
            return Durations.parse(timeout);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--timeout: " + e.getMessage());
        }
    }

    private Optional<Integer> timeline() {
        if (timeline.equals("latest")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.decode(timeline));
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), "--target-timeline: '" + timeline
                    + "' is not a timeline number or 'latest'");
        }
    }
}
