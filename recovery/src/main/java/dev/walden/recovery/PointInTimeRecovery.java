package dev.walden.recovery;

import dev.walden.backup.BackupSettings;
import dev.walden.catalog.BackupManifest;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.db.ConnectionSettings;
import dev.walden.postgres.PgBinaries;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import dev.walden.wal.Lsn;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
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
     * @param port the server's port; empty for a free one
     * @param backup the backup to start from; empty for the newest that ended before the target
     * @param pgBin PostgreSQL's programs; empty for pg_bin, else where the backup's major is installed
     * @param stage stage the WAL ahead of time; false leaves it to {@code walden fetch}
     * @param start start the server; false only prepares the data directory
     * @param privateCopy a throwaway copy only walden reads: socket only, trust on its private socket
     * @param keepStaged keep the staged WAL after a promoted recovery, which no longer needs it
     * @param wholeArchive refuse when a gap in the WAL stops recovery short of WAL archived after it
     * @param standby make the copy a streaming standby of production (no staging: it fetches)
     */
    public record Request(RecoveryTarget target, RecoveryTarget.Action action, Optional<Integer> timeline,
                         boolean exclusive, Path pgdata, Optional<Integer> port, Optional<String> backup,
                         Map<String, Path> tablespaces, Optional<Path> pgBin, boolean stage, boolean start,
                         Duration timeout, boolean privateCopy, boolean keepStaged, boolean delta,
                         boolean wholeArchive, Optional<StandbySettings> standby) {

        /**
         * A request to recover to {@code target} into {@code pgdata}, with walden recover's
         * defaults: promote, the newest timeline, the newest fitting backup, a free port, WAL
         * staged, the server started, one hour to reach the target.
         */
        public static Builder to(RecoveryTarget target, Path pgdata) {
            return new Builder(target, pgdata);
        }
    }

    /** Builds a {@link Request}: each setting named, the others walden recover's defaults. */
    public static final class Builder {
        private final RecoveryTarget target;
        private final Path pgdata;
        private RecoveryTarget.Action action = RecoveryTarget.Action.PROMOTE;
        private Optional<Integer> timeline = Optional.empty();
        private boolean exclusive;
        private Optional<Integer> port = Optional.empty();
        private Optional<String> backup = Optional.empty();
        private Map<String, Path> tablespaces = Map.of();
        private Optional<Path> pgBin = Optional.empty();
        private boolean stage = true;
        private boolean start = true;
        private Duration timeout = Duration.ofHours(1);
        private boolean privateCopy;
        private boolean keepStaged;
        private boolean delta;
        private boolean wholeArchive;
        private Optional<StandbySettings> standby = Optional.empty();

        private Builder(RecoveryTarget target, Path pgdata) {
            this.target = target;
            this.pgdata = pgdata;
        }

        public Builder action(RecoveryTarget.Action action) {
            this.action = action;
            return this;
        }

        /** The timeline to follow; empty for the newest archived one. */
        public Builder timeline(Optional<Integer> timeline) {
            this.timeline = timeline;
            return this;
        }

        /** Stop just before the target rather than just after it. */
        public Builder exclusive(boolean exclusive) {
            this.exclusive = exclusive;
            return this;
        }

        public Builder port(Optional<Integer> port) {
            this.port = port;
            return this;
        }

        public Builder backup(Optional<String> label) {
            this.backup = label;
            return this;
        }

        public Builder tablespaces(Map<String, Path> tablespaces) {
            this.tablespaces = tablespaces;
            return this;
        }

        public Builder pgBin(Optional<Path> pgBin) {
            this.pgBin = pgBin;
            return this;
        }

        public Builder stage(boolean stage) {
            this.stage = stage;
            return this;
        }

        public Builder start(boolean start) {
            this.start = start;
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** A throwaway copy only walden reads: socket only, trust on its private socket. */
        public Builder privateCopy(boolean privateCopy) {
            this.privateCopy = privateCopy;
            return this;
        }

        public Builder keepStaged(boolean keepStaged) {
            this.keepStaged = keepStaged;
            return this;
        }

        /**
         * Recover into an existing recovered copy (not production's data directory, no server
         * running in it), keeping the files that already match the backup and rewriting the rest.
         */
        public Builder delta(boolean delta) {
            this.delta = delta;
            return this;
        }

        /**
         * Refuse, before anything is written, when a missing WAL file would stop recovery short of
         * WAL archived after it (a restore drill proves the whole archive replays).
         */
        public Builder wholeArchive(boolean wholeArchive) {
            this.wholeArchive = wholeArchive;
            return this;
        }

        /** A streaming standby of production: it fetches WAL from the repository, then streams. */
        public Builder standby(Optional<StandbySettings> standby) {
            this.standby = standby;
            return this;
        }

        public Request build() {
            return new Request(target, action, timeline, exclusive, pgdata, port, backup, tablespaces, pgBin,
                    stage && standby.isEmpty(), start, timeout, privateCopy, keepStaged, delta, wholeArchive, standby);
        }
    }

    /**
     * A recovered (or, without start, prepared) cluster.
     *
     * @param socketDirectory the server's Unix socket directory: the data directory itself, or a
     *     private temporary directory when that path is too long for a socket
     * @param staged the staged WAL, while it is kept: the server may still need it (paused, shut
     *     down at the target, not started) or {@code --keep-staged} asked for it
     * @param outcome where recovery ended; empty when the server was not started
     * @param phases seconds spent planning, restoring, staging and recovering
     */
    public record Recovered(Path pgdata, int port, Path socketDirectory, Path bin, Path log, BackupManifest backup,
                            int timeline, List<WalFileName> segments, Optional<Path> staged,
                            Optional<RecoveredServer.Outcome> outcome, Phases phases) {
        /** Stops the server (pg_ctl stop -m fast); the data directory stays. */
        public void stop() throws IOException, InterruptedException {
            RecoveredServer.stop(bin, pgdata);
        }

        /** Stops the server if it runs and removes everything recovery made: the data directory, staged WAL, log. */
        public void remove() throws IOException, InterruptedException {
            if (Files.exists(pgdata.resolve("postmaster.pid"))) {
                stop();
            }
            stopAbandoned(pgdata);
            for (Path p : List.of(pgdata, stagedDirectory(pgdata), tablespacesDirectory(pgdata), log, socketDirectory)) {
                deleteTree(p);
            }
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
        BackupSettings production = BackupSettings.from(config, System.getenv());
        // every refusal that needs no repository comes first: nothing is read, nothing written
        if (request.delta()) {
            checkDeltaTarget(directory, config);
        } else {
            checkTarget(directory, config);
            for (Path location : request.tablespaces().values()) {
                checkNewPlace(location.toAbsolutePath(), "--tablespace", config);
            }
            if (request.stage()) {
                checkNewPlace(stagedDirectory(directory), "staged WAL", config);
            }
            checkNewPlace(tablespacesDirectory(directory), "tablespaces", config);
        }
        int port = RecoveryPort.choose(request.port(), production.pgdata(), production.connection());
        Footprint made = new Footprint();
        try {
            return recover(request, directory, port, production.connection(), made, began);
        } catch (IOException | ConfigException | InterruptedException | RuntimeException e) {
            // a half-restored directory is no use and blocks a second try; a server still running
            // (recovery too slow) is the operator's to look at, unless it is a throwaway copy
            if (request.privateCopy() || !RecoveredServer.running(directory)) {
                try {
                    stopAbandoned(directory);
                    List<String> removed = made.remove();
                    if (!removed.isEmpty() && !request.privateCopy()) {
                        out.println("removed what this recovery had made: " + String.join(", ", removed));
                    }
                } catch (IOException cleanup) { // the failure that matters is the recovery's
                    out.println("warning: could not remove all this recovery had made: " + cleanup.getMessage());
                    e.addSuppressed(cleanup);
                }
                out.flush();
            }
            throw e;
        }
    }

    private Recovered recover(Request request, Path directory, int port, ConnectionSettings production,
                              Footprint made, long began) throws IOException, ConfigException, InterruptedException {
        try (Storage storage = StorageFactory.open(config)) {
            Repository repository = Repository.open(storage);
            RecoveryPlan plan = RecoveryPlan.make(repository, request.target(), request.timeline(), request.backup());
            BackupManifest manifest = plan.backup();
            if (request.wholeArchive() && request.target() instanceof RecoveryTarget.Latest && plan.gap().isPresent()) {
                throw new IOException("WAL file " + plan.gap().get() + " is missing from the repository: recovery "
                        + "from backup " + manifest.label() + " stops before it, and the WAL archived after it can't "
                        + "be replayed ('walden list' shows the gaps)");
            }
            Path bin = binaries(request.pgBin(), manifest.pgMajor());
            int workers = config.integer(ConfigKeys.BACKUP_WORKERS, 1, 64);
            List<WalFileName> segments = plan.segments();
            Path staged = stagedDirectory(directory);
            DiskSpace.check(directory, request.tablespaces(), manifest,
                    request.stage() ? segments.size() * repository.cluster().segmentSize().bytes() : 0, staged);
            out.printf("walden recover: %s from backup %s (consistent at %s), timeline %d, %d WAL file(s)%s%n",
                    request.target().describe(), manifest.label(), manifest.stopTime(), plan.path().target(),
                    segments.size(), segments.isEmpty() ? "" : " " + segments.get(0) + " .. "
                            + segments.get(segments.size() - 1));
            out.printf("into %s (production is not touched)%n", directory);
            out.flush();
            long planned = System.nanoTime();

            made.claim(directory);
            made.claim(tablespacesDirectory(directory));
            request.tablespaces().values().forEach(t -> made.claim(t.toAbsolutePath()));
            if (request.delta()) {
                deleteTree(staged); // the last recovery's WAL: another target's, maybe another timeline's
            }
            new BackupRestorer(storage, workers).restore(manifest, directory, request.tablespaces(), out,
                    request.delta());
            if (request.target() instanceof RecoveryTarget.Latest && request.standby().isEmpty()) {
                // past the archive, the WAL the agent streamed (a standby gets it from the primary itself)
                WalSegmentSize size = repository.cluster().segmentSize();
                StreamedTail.place(repository, repository.stream().continuing(plan.path().target(),
                        StreamedTail.nextSegment(segments, size, Lsn.parse(manifest.startLsn()).segmentNumber(size)),
                        size), directory.resolve("pg_wal"), out);
            }
            long restored = System.nanoTime();

            Optional<String> fetch = fetchCommand();
            String restoreCommand;
            if (!request.stage()) {
                restoreCommand = fetch.orElseThrow(() -> new IOException("--no-stage needs the walden launcher ("
                        + launcher() + " does not exist)")) + " %f %p";
            } else {
                List<WalFileName> files = new ArrayList<>(plan.histories());
                files.addAll(segments);
                made.claim(staged);
                restoreCommand = new WalStager(repository, workers).stage(files, staged, fetch, out);
            }
            long stagedAt = System.nanoTime();

            Path socketDir = socketDirectory(directory, port, made);
            Optional<String> archiveCommand = Optional.empty();
            if (request.standby().isPresent()) {
                StandbySettings standby = request.standby().get();
                if (standby.archiveAlways()) {
                    archiveCommand = Optional.of("\"" + launcher().resolveSibling("walden-push") + "\""
                            + config.file().map(f -> " --config \"" + f + "\"").orElse("") + " %p");
                }
                if (standby.createSlot()) {
                    String slot = standby.slot().orElseThrow();
                    if (ReplicationSlot.create(production, slot, out)) {
                        made.undo(() -> ReplicationSlot.drop(production, slot), "replication slot " + slot);
                    }
                }
            }
            RecoveredServer.configure(directory, port, socketDir, restoreCommand,
                    request.target().settings(request.exclusive()),
                    request.timeline().map(String::valueOf).orElse("latest"), request.action(), manifest.pgMajor(),
                    request.privateCopy(), request.standby(), archiveCommand);
            Path log = directory.resolveSibling(directory.getFileName() + ".log");
            Optional<RecoveredServer.Outcome> outcome = Optional.empty();
            if (request.start()) {
                out.printf("starting PostgreSQL %d on port %d%n", manifest.pgMajor(), port);
                out.flush();
                outcome = Optional.of(RecoveredServer.startAndWait(bin, directory, log, request.action(),
                        request.standby().isPresent(), request.timeout(), config.environment(),
                        logins(production, socketDir, port), out));
            }
            long recovered = System.nanoTime();
            // promoted, the server never runs restore_command again: the staged WAL has served
            boolean keepStaged = request.stage() && (request.keepStaged() || !request.start()
                    || request.action() != RecoveryTarget.Action.PROMOTE);
            if (request.stage() && !keepStaged) {
                deleteTree(staged);
            }
            return new Recovered(directory, port, socketDir, bin, log, manifest, plan.path().target(), segments,
                    keepStaged ? Optional.of(staged) : Optional.empty(), outcome,
                    new Phases(seconds(began, planned), seconds(planned, restored), seconds(restored, stagedAt),
                            seconds(stagedAt, recovered)));
        }
    }

    /**
     * Who asks the recovered server what it replayed: production's user (a copy of production has
     * it, with its password) over the server's socket, else this OS user's role.
     */
    public static List<ConnectionSettings> logins(ConnectionSettings production, Path socketDir, int port) {
        ConnectionSettings copy = production.withServer(socketDir.toString(), port);
        String osUser = System.getProperty("user.name");
        return List.of(copy, ConnectionSettings.resolve(Map.of("PGHOST", socketDir.toString(), "PGPORT",
                Integer.toString(port), "PGUSER", osUser, "PGDATABASE", copy.database()), Map.of(), osUser));
    }

    /**
     * The server's socket goes into its own data directory, so it lives and goes with the cluster
     * and only its owner can reach it; a private temporary directory only when that path is too
     * long for a Unix socket (107 bytes on Linux).
     */
    private static Path socketDirectory(Path pgdata, int port, Footprint made) throws IOException {
        String socket = pgdata + "/.s.PGSQL." + port;
        if (socket.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 107) {
            return pgdata;
        }
        Path dir = Files.createTempDirectory("walden-recovered-");
        made.created(dir);
        return dir;
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
        String configFlag = config.file().map(f -> " --config \"" + f + "\"").orElse("");
        // the native client asks the agent (no JVM to start per file, segments read ahead) and runs
        // walden fetch itself when no agent answers
        Path nativeFetch = self.resolveSibling("walden-fetch");
        if (Files.isExecutable(nativeFetch)) {
            return Optional.of("\"" + nativeFetch + "\"" + configFlag);
        }
        return Optional.of("\"" + self + "\" fetch" + configFlag);
    }

    /** The new data directory must be new: missing or empty, and not production's or inside it. */
    static void checkTarget(Path directory, ConfigSource source) throws IOException, ConfigException {
        checkNewPlace(directory, "--pgdata", source);
        if (Files.exists(directory.resolve("postmaster.pid")) || Files.exists(directory.resolve("PG_VERSION"))) {
            throw new RefusedException("'" + directory + "' is the data directory of a PostgreSQL server; walden "
                    + "recovers only into a new, empty directory");
        }
    }

    /**
     * {@code --delta}: an existing data directory that is not production's (nor in it, nor holding
     * it) and where no server runs.
     */
    static void checkDeltaTarget(Path directory, ConfigSource source) throws IOException, ConfigException {
        Optional<Path> production = source.path(ConfigKeys.PGDATA);
        if (production.isPresent() && Files.exists(production.get()) && Files.exists(directory)) {
            Path prod = production.get().toRealPath();
            Path candidate = directory.toRealPath();
            if (candidate.startsWith(prod) || prod.startsWith(candidate)) {
                throw new RefusedException("'" + directory + "' (--pgdata) is production's data directory (pgdata), "
                        + "inside it or holding it; --delta rewrites only a recovered copy");
            }
        }
        if (!Files.isRegularFile(directory.resolve("PG_VERSION"))) {
            throw new RefusedException("'" + directory + "' is not a PostgreSQL data directory (no PG_VERSION); "
                    + "--delta rewrites an existing recovered copy (without --delta, recover into a new directory)");
        }
        if (RecoveredServer.running(directory)) {
            throw new RefusedException("a PostgreSQL server is running in '" + directory + "'; stop it first "
                    + "(pg_ctl -D " + directory + " stop)");
        }
    }

    /** A place recovery writes to: missing or an empty directory, and not production's data directory or in it. */
    private static void checkNewPlace(Path place, String what, ConfigSource source)
            throws IOException, ConfigException {
        Optional<Path> production = source.path(ConfigKeys.PGDATA);
        if (production.isPresent() && Files.exists(production.get())) {
            Path prod = production.get().toRealPath();
            Path candidate = Files.exists(place) ? place.toRealPath() : place.normalize();
            if (candidate.equals(prod) || candidate.startsWith(prod)) {
                throw new RefusedException("'" + place + "' (" + what + ") is production's data directory (pgdata) "
                        + "or inside it; walden recovers only into a new directory");
            }
        }
        if (Files.exists(place, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(place)) {
                throw new RefusedException("'" + place + "' (" + what + ") exists and is not a directory");
            }
            if (Files.exists(place.resolve("postmaster.pid")) || Files.exists(place.resolve("PG_VERSION"))) {
                return; // checkTarget names this one
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(place)) {
                if (entries.iterator().hasNext()) {
                    throw new RefusedException("'" + place + "' (" + what + ") is not empty; walden recovers only "
                            + "into new, empty places");
                }
            }
        }
    }

    static Path stagedDirectory(Path pgdata) {
        return pgdata.resolveSibling(pgdata.getFileName() + ".wal");
    }

    private static Path tablespacesDirectory(Path pgdata) {
        return pgdata.resolveSibling(pgdata.getFileName() + ".tablespaces");
    }

    /** PostgreSQL's programs of the backup's major version. */
    private Path binaries(Optional<Path> pgBin, int major) throws IOException, ConfigException {
        return PgBinaries.server(pgBin.isPresent() ? pgBin : config.path(ConfigKeys.PG_BIN), major);
    }

    /** Stops a server left running in {@code pgdata} by a recovery that failed (SIGTERM, smart shutdown). */
    private static void stopAbandoned(Path pgdata) throws IOException, InterruptedException {
        Path pid = pgdata.resolve("postmaster.pid");
        if (RecoveredServer.running(pgdata)) { // started, then failed or timed out: stop it first
            // nobody else is connected to a private copy
            ProcessHandle.of(Long.parseLong(Files.readAllLines(pid).get(0).strip())).ifPresent(ProcessHandle::destroy);
            for (int i = 0; i < 600 && RecoveredServer.running(pgdata); i++) {
                Thread.sleep(100);
            }
        }
    }

    /**
     * What one recovery made, so that a failure removes exactly that: the directories it created,
     * and the contents of the empty ones it was given (a mount point stays).
     */
    static final class Footprint {
        private final Map<Path, Boolean> created = new java.util.LinkedHashMap<>();
        private final Map<String, Undo> undo = new java.util.LinkedHashMap<>();

        /** Something a failed recovery takes back besides files (a replication slot it created). */
        @FunctionalInterface
        interface Undo {
            void run() throws IOException;
        }

        void undo(Undo action, String what) {
            undo.put(what, action);
        }

        /** Notes {@code dir} before recovery writes there: created now, or given (empty). */
        void claim(Path dir) {
            created.putIfAbsent(dir, !Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        }

        /** Notes a directory recovery has just created. */
        void created(Path dir) {
            created.put(dir, true);
        }

        /** Takes it all back; returns what there was (paths, and the undone things named). */
        List<String> remove() throws IOException {
            List<String> removed = new ArrayList<>();
            for (Map.Entry<String, Undo> e : undo.entrySet()) {
                e.getValue().run();
                removed.add(e.getKey());
            }
            undo.clear();
            for (Map.Entry<Path, Boolean> e : created.entrySet()) {
                Path dir = e.getKey();
                if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                if (e.getValue()) {
                    deleteTree(dir);
                    removed.add(dir.toString());
                } else {
                    boolean any = false;
                    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                        for (Path entry : entries) {
                            deleteTree(entry);
                            any = true;
                        }
                    }
                    if (any) {
                        removed.add(dir.toString());
                    }
                }
            }
            return removed;
        }
    }

    /** Removes {@code root} and everything in it; nothing when it is not there. */
    public static void deleteTree(Path root) throws IOException {
        // The agent may still be finishing a WAL segment it read ahead into pg_wal when the server
        // has stopped (walden-fetch): a directory that gained a file is walked again.
        for (int attempt = 1; ; attempt++) {
            try {
                deleteTreeOnce(root);
                return;
            } catch (java.nio.file.DirectoryNotEmptyException e) {
                if (attempt == 10) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static void deleteTreeOnce(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (java.io.UncheckedIOException e) { // a file went while walking: an I/O error like any
            throw e.getCause();
        }
    }

    private static double seconds(long from, long to) {
        return (to - from) / 1e9;
    }
}
