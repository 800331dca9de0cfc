package dev.walden.recovery;

import dev.walden.backup.BackupSettings;
import dev.walden.catalog.BackupManifest;
import dev.walden.cluster.LocalCluster;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.config.Durations;
import dev.walden.dump.PgProgram;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import dev.walden.wal.Lsn;
import dev.walden.wal.WalFileName;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
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
                "The recovered cluster never archives (archive_mode = off), so it can't write into the production "
                        + "repository."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the recovered cluster reached the target", "1:it did not; the message says why"})
public final class RecoverCommand implements Callable<Integer> {

    static final class Target {
        @Option(names = "--target-time", paramLabel = "TIME",
                description = "ISO-8601 time with its zone, e.g. 2026-11-24T14:05:00+01:00")
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
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "config file (default: $WALDEN_CONFIG, else /etc/walden/walden.conf)")
    String config;

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "%nTarget (exactly one):%n")
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
            description = "new data directory, missing or empty (default: ./walden-recovered-<time>)")
    Path pgdata;

    @Option(names = "--port", paramLabel = "PORT", description = "port of the recovered server (default: a free one)")
    Integer port;

    @Option(names = "--backup", paramLabel = "LABEL",
            description = "base backup to start from (default: the newest that ended before the target)")
    String backup;

    @Option(names = "--tablespace", paramLabel = "OID=DIR",
            description = "where a tablespace goes (default: <pgdata>.tablespaces/<oid>); repeatable")
    Map<String, Path> tablespaces = new HashMap<>();

    @Option(names = "--pg-bin", paramLabel = "DIR",
            description = "PostgreSQL's programs for the backup's major version (default: pg_bin, else found)")
    Path pgBin;

    @Option(names = "--no-stage", description = "don't stage WAL; PostgreSQL fetches each file with walden fetch")
    boolean noStage;

    @Option(names = "--no-start", description = "prepare the data directory only; don't start PostgreSQL")
    boolean noStart;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "1h",
            description = "longest the recovery itself may take (default: ${DEFAULT-VALUE})")
    String timeout;

    @Override
    public Integer call() throws ConfigException, IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        ConfigSource source = ConfigSource.locate(config, System.getenv());
        RecoveryTarget recoveryTarget = target();
        RecoveryTarget.Action atTarget = action();
        Optional<Integer> tli = timeline();
        Duration limit = Durations.parse(timeout);
        long began = System.nanoTime();

        Path directory = (pgdata != null ? pgdata : Path.of("walden-recovered-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
        checkTarget(directory, source);
        try (Storage storage = StorageFactory.open(source)) {
            Repository repository = Repository.open(storage);
            RecoveryPlan plan = RecoveryPlan.make(repository, recoveryTarget, tli, Optional.ofNullable(backup));
            BackupManifest manifest = plan.backup();
            Path bin = binaries(source, manifest.pgMajor());
            int workers = source.integer(ConfigKeys.BACKUP_WORKERS, 1, 64);
            List<WalFileName> segments = plan.segments();
            out.printf("walden recover: %s from backup %s (consistent at %s), timeline %d, %d WAL file(s)%s%n",
                    recoveryTarget.describe(), manifest.label(), manifest.stopTime(), plan.path().target(),
                    segments.size(), segments.isEmpty() ? "" : " " + segments.get(0) + " .. "
                            + segments.get(segments.size() - 1));
            out.printf("into %s (production is not touched)%n", directory);
            out.flush();
            long planned = System.nanoTime();

            new BackupRestorer(storage, workers).restore(manifest, directory, tablespaces, out);
            long restored = System.nanoTime();

            String restoreCommand;
            if (noStage) {
                Path self = Path.of(System.getProperty("walden.home", ".")).resolve("bin/walden");
                restoreCommand = "\"" + self + "\" fetch --config \"" + source.file().map(Path::toString)
                        .orElse(ConfigKeys.DEFAULT_CONFIG_FILE) + "\" %f %p";
            } else {
                List<WalFileName> files = new ArrayList<>(plan.histories());
                files.addAll(segments);
                Path staged = directory.resolveSibling(directory.getFileName() + ".wal");
                restoreCommand = new WalStager(repository, workers).stage(files, staged, out);
            }
            long stagedAt = System.nanoTime();

            int serverPort = port != null ? port : LocalCluster.freePort();
            Path socketDir = Files.createTempDirectory("walden-recovered-");
            RecoveredServer.configure(directory, serverPort, socketDir, restoreCommand,
                    recoveryTarget.settings(exclusive), tli.map(String::valueOf).orElse("latest"), atTarget,
                    manifest.pgMajor());
            if (noStart) {
                out.printf("prepared %s; start it with: %s -D %s start%n", directory, bin.resolve("pg_ctl"), directory);
                return 0;
            }
            out.printf("starting PostgreSQL %d on port %d%n", manifest.pgMajor(), serverPort);
            out.flush();
            Path log = directory.resolveSibling(directory.getFileName() + ".log");
            RecoveredServer.Outcome outcome = RecoveredServer.startAndWait(bin, directory, log, atTarget, limit, out);
            long recovered = System.nanoTime();

            out.println("reached " + recoveryTarget.describe() + ": " + outcome.stoppedAt()
                    .orElse("the end of the archived WAL"));
            outcome.redoDone().ifPresent(lsn -> out.println("last WAL replayed: " + lsn));
            outcome.lastTransaction().ifPresent(t -> out.println("last transaction replayed: committed at " + t));
            out.println("timeline: " + outcome.timeline().map(String::valueOf).orElse(plan.path().target()
                    + " (not promoted)"));
            out.println("state: " + outcome.state());
            out.printf("phases: plan %.1f s, restore %.1f s, stage WAL %.1f s, recovery %.1f s (total %.1f s)%n",
                    seconds(began, planned), seconds(planned, restored), seconds(restored, stagedAt),
                    seconds(stagedAt, recovered), seconds(began, recovered));
            String user = BackupSettings.from(source, System.getenv()).connection().user();
            out.printf("connect: psql \"postgresql://%s@localhost:%d/postgres?host=%s\"%n", user, serverPort, socketDir);
            out.printf("log: %s; stop it with: %s -D %s stop%n", log, bin.resolve("pg_ctl"), directory);
            return 0;
        }
    }

    private RecoveryTarget target() {
        if (target.latest) {
            return new RecoveryTarget.Latest();
        } else if (target.immediate) {
            return new RecoveryTarget.Immediate();
        } else if (target.xid != null) {
            return new RecoveryTarget.Xid(target.xid);
        } else if (target.name != null) {
            return new RecoveryTarget.Name(target.name);
        } else if (target.lsn != null) {
            try {
                return new RecoveryTarget.AtLsn(Lsn.parse(target.lsn));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--target-lsn: " + e.getMessage());
            }
        }
        try {
            return new RecoveryTarget.Time(OffsetDateTime.parse(target.time));
        } catch (DateTimeParseException e) {
            throw new ParameterException(spec.commandLine(), "--target-time: '" + target.time
                    + "' is not an ISO-8601 time with a zone (e.g. 2026-11-24T14:05:00+01:00 or 2026-11-24T13:05:00Z)");
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

    /** The new data directory must be new: missing or empty, and not production's or inside it. */
    private static void checkTarget(Path directory, ConfigSource source) throws IOException, ConfigException {
        Optional<Path> production = source.path(ConfigKeys.PGDATA);
        if (production.isPresent() && Files.exists(production.get())) {
            Path prod = production.get().toRealPath();
            Path candidate = Files.exists(directory) ? directory.toRealPath() : directory.normalize();
            if (candidate.equals(prod) || candidate.startsWith(prod)) {
                throw new IOException("'" + directory + "' is production's data directory (pgdata) or inside it; "
                        + "walden recovers only into a new directory");
            }
        }
        if (Files.exists(directory)) {
            if (!Files.isDirectory(directory)) {
                throw new IOException("'" + directory + "' exists and is not a directory");
            }
            if (Files.exists(directory.resolve("postmaster.pid")) || Files.exists(directory.resolve("PG_VERSION"))) {
                throw new IOException("'" + directory + "' is the data directory of a PostgreSQL server; walden "
                        + "recovers only into a new, empty directory");
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
                if (entries.iterator().hasNext()) {
                    throw new IOException("'" + directory + "' is not empty; walden recovers only into a new, empty "
                            + "directory");
                }
            }
        }
    }

    /** PostgreSQL's programs of the backup's major version. */
    private Path binaries(ConfigSource source, int major) throws IOException, ConfigException {
        Optional<Path> configured = Optional.ofNullable(pgBin).or(() -> {
            try {
                return source.path(ConfigKeys.PG_BIN);
            } catch (ConfigException e) {
                return Optional.empty();
            }
        });
        Path bin;
        if (configured.isPresent()) {
            bin = LocalCluster.findBinaries(configured);
        } else if (Files.isExecutable(Path.of("/usr/lib/postgresql/" + major + "/bin/postgres"))) {
            bin = Path.of("/usr/lib/postgresql/" + major + "/bin");
        } else if (Files.isExecutable(Path.of("/usr/pgsql-" + major + "/bin/postgres"))) {
            bin = Path.of("/usr/pgsql-" + major + "/bin");
        } else {
            bin = LocalCluster.findBinaries(Optional.empty());
        }
        PgProgram postgres = PgProgram.find("postgres", Optional.of(bin));
        if (postgres.major() != major) {
            throw new IOException("the backup is PostgreSQL " + major + ", but " + postgres.path() + " is PostgreSQL "
                    + postgres.version() + ": set pg_bin (or --pg-bin) to PostgreSQL " + major + "'s programs");
        }
        return bin;
    }

    private static double seconds(long from, long to) {
        return (to - from) / 1e9;
    }
}
