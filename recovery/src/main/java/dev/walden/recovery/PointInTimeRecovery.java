package dev.walden.recovery;

import dev.walden.catalog.BackupManifest;
import dev.walden.cluster.LocalCluster;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.dump.PgProgram;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import dev.walden.wal.WalFileName;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Point-in-time recovery into a new data directory next to production, and never over it: plan
 * (backup and timeline path), restore the backup's files, stage the WAL, write the recovery
 * settings, start PostgreSQL and follow its log to the target. {@code walden recover}, its
 * {@code --into-database} and {@code walden demo} all recover through here.
 */
public final class PointInTimeRecovery {

    /**
     * What to recover and where.
     *
     * @param timeline the timeline to follow; empty for the newest archived one
     * @param backup the backup to start from; empty for the newest that ended before the target
     * @param pgBin PostgreSQL's programs; empty for pg_bin, else where the backup's major is installed
     * @param stage stage the WAL ahead of time; false leaves it to {@code walden fetch}
     * @param start start the server; false only prepares the data directory
     * @param privateCopy a throwaway copy only walden reads: socket only, trust on its private socket
     */
    public record Request(RecoveryTarget target, RecoveryTarget.Action action, Optional<Integer> timeline,
                         boolean exclusive, Path pgdata, Optional<Integer> port, Optional<String> backup,
                         Map<String, Path> tablespaces, Optional<Path> pgBin, boolean stage, boolean start,
                         Duration timeout, boolean privateCopy) {
    }

    /**
     * A recovered (or, without start, prepared) cluster.
     *
     * @param outcome where recovery ended; empty when the server was not started
     * @param phases seconds spent planning, restoring, staging and recovering
     */
    public record Recovered(Path pgdata, int port, Path socketDirectory, Path bin, Path log, BackupManifest backup,
                            int timeline, List<WalFileName> segments, Optional<RecoveredServer.Outcome> outcome,
                            Phases phases) {
        /** Stops the server (pg_ctl stop -m fast); the data directory stays. */
        public void stop() throws IOException, InterruptedException {
            RecoveredServer.stop(bin, pgdata);
        }

        /** Stops the server if it runs and removes everything recovery made: the data directory, staged WAL, log. */
        public void remove() throws IOException, InterruptedException {
            if (Files.exists(pgdata.resolve("postmaster.pid"))) {
                stop();
            }
            discard(pgdata);
            deleteTree(log);
            deleteTree(socketDirectory);
        }
    }

    public record Phases(double plan, double restore, double stage, double recover) {
        public double total() {
            return plan + restore + stage + recover;
        }
    }

    private final ConfigSource config;
    private final PrintWriter out;

    public PointInTimeRecovery(ConfigSource config, PrintWriter out) {
        this.config = config;
        this.out = out;
    }

    public Recovered recover(Request request) throws IOException, ConfigException, InterruptedException {
        long began = System.nanoTime();
        Path directory = request.pgdata().toAbsolutePath();
        checkTarget(directory, config);
        try {
            return recover(request, directory, began);
        } catch (IOException | ConfigException | InterruptedException | RuntimeException e) {
            if (request.privateCopy()) { // a throwaway copy is removed even when recovery fails; its log stays
                discard(directory);
            }
            throw e;
        }
    }

    private Recovered recover(Request request, Path directory, long began)
            throws IOException, ConfigException, InterruptedException {
        try (Storage storage = StorageFactory.open(config)) {
            Repository repository = Repository.open(storage);
            RecoveryPlan plan = RecoveryPlan.make(repository, request.target(), request.timeline(), request.backup());
            BackupManifest manifest = plan.backup();
            Path bin = binaries(request.pgBin(), manifest.pgMajor());
            int workers = config.integer(ConfigKeys.BACKUP_WORKERS, 1, 64);
            List<WalFileName> segments = plan.segments();
            out.printf("walden recover: %s from backup %s (consistent at %s), timeline %d, %d WAL file(s)%s%n",
                    request.target().describe(), manifest.label(), manifest.stopTime(), plan.path().target(),
                    segments.size(), segments.isEmpty() ? "" : " " + segments.get(0) + " .. "
                            + segments.get(segments.size() - 1));
            out.printf("into %s (production is not touched)%n", directory);
            out.flush();
            long planned = System.nanoTime();

            new BackupRestorer(storage, workers).restore(manifest, directory, request.tablespaces(), out);
            long restored = System.nanoTime();

            Optional<String> fetch = fetchCommand();
            String restoreCommand;
            if (!request.stage()) {
                restoreCommand = fetch.orElseThrow(() -> new IOException("--no-stage needs the walden launcher ("
                        + launcher() + " does not exist)")) + " %f %p";
            } else {
                List<WalFileName> files = new ArrayList<>(plan.histories());
                files.addAll(segments);
                Path staged = directory.resolveSibling(directory.getFileName() + ".wal");
                restoreCommand = new WalStager(repository, workers).stage(files, staged, fetch, out);
            }
            long stagedAt = System.nanoTime();

            int serverPort = request.port().isPresent() ? request.port().get() : LocalCluster.freePort();
            Path socketDir = Files.createTempDirectory("walden-recovered-");
            RecoveredServer.configure(directory, serverPort, socketDir, restoreCommand,
                    request.target().settings(request.exclusive()),
                    request.timeline().map(String::valueOf).orElse("latest"), request.action(), manifest.pgMajor(),
                    request.privateCopy());
            Path log = directory.resolveSibling(directory.getFileName() + ".log");
            Optional<RecoveredServer.Outcome> outcome = Optional.empty();
            if (request.start()) {
                out.printf("starting PostgreSQL %d on port %d%n", manifest.pgMajor(), serverPort);
                out.flush();
                outcome = Optional.of(RecoveredServer.startAndWait(bin, directory, log, request.action(),
                        request.timeout(), config.environment(), out));
            }
            long recovered = System.nanoTime();
            return new Recovered(directory, serverPort, socketDir, bin, log, manifest, plan.path().target(), segments,
                    outcome, new Phases(seconds(began, planned), seconds(planned, restored),
                    seconds(restored, stagedAt), seconds(stagedAt, recovered)));
        }
    }

    private static Path launcher() {
        return Path.of(System.getProperty("walden.home", ".")).toAbsolutePath().resolve("bin/walden");
    }

    /**
     * {@code walden fetch} reading this recovery's configuration, for restore_command: the file
     * it was read from (the server gets the same WALDEN_* variables). Empty when walden does not
     * run from its launcher (in-process tests), where only staged WAL can be used.
     */
    private Optional<String> fetchCommand() {
        Path self = launcher();
        if (!Files.isExecutable(self)) {
            return Optional.empty();
        }
        return Optional.of("\"" + self + "\" fetch" + config.file().map(f -> " --config \"" + f + "\"").orElse(""));
    }

    /** The new data directory must be new: missing or empty, and not production's or inside it. */
    static void checkTarget(Path directory, ConfigSource source) throws IOException, ConfigException {
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
    private Path binaries(Optional<Path> pgBin, int major) throws IOException, ConfigException {
        Optional<Path> configured = pgBin.isPresent() ? pgBin : config.path(ConfigKeys.PG_BIN);
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

    /** Removes a recovered data directory and what was made next to it (not its log). */
    private static void discard(Path pgdata) throws IOException, InterruptedException {
        Path pid = pgdata.resolve("postmaster.pid");
        if (Files.exists(pid)) { // started, then failed or timed out: stop it first
            // SIGTERM, PostgreSQL's smart shutdown: nobody else is connected to a private copy
            ProcessHandle.of(Long.parseLong(Files.readAllLines(pid).get(0).strip())).ifPresent(ProcessHandle::destroy);
            for (int i = 0; i < 600 && Files.exists(pid); i++) {
                Thread.sleep(100);
            }
        }
        for (Path p : List.of(pgdata, pgdata.resolveSibling(pgdata.getFileName() + ".wal"),
                pgdata.resolveSibling(pgdata.getFileName() + ".tablespaces"))) {
            deleteTree(p);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static double seconds(long from, long to) {
        return (to - from) / 1e9;
    }
}
