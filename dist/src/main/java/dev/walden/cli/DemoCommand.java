package dev.walden.cli;

import dev.walden.agent.Agent;
import dev.walden.agent.AgentConfig;
import dev.walden.cluster.LocalCluster;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.recovery.WalFetcher;
import dev.walden.storage.ObjectInfo;
import dev.walden.storage.PosixStorage;
import dev.walden.wal.ClusterIdentity;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code walden demo}: the whole archiving story on a throwaway cluster and a repository in a
 * temporary directory; nothing outside that directory is touched, and it is removed at the end.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run walden end to end on a throwaway PostgreSQL cluster and a local repository in a "
                + "temporary directory: start the agent, let PostgreSQL archive WAL through walden-push, then fetch "
                + "every archived segment back the way restore_command does and compare it byte for byte.",
                "Nothing outside the temporary directory is touched; it is removed at the end unless --keep."})
public final class DemoCommand implements Callable<Integer> {
    private static final Duration ARCHIVE_WAIT = Duration.ofSeconds(90);

    @Spec
    CommandSpec spec;

    @Option(names = "--segments", defaultValue = "5", paramLabel = "N",
            description = "WAL segments to write and archive (default: ${DEFAULT-VALUE})")
    int segments;

    @Option(names = "--keep", description = "keep the temporary directory (cluster, repository) for a look")
    boolean keep;

    @Option(names = "--pg-bin", paramLabel = "DIR",
            description = "PostgreSQL's programs (default: pg_bin / $WALDEN_PG_BIN, else the newest installed)")
    Path pgBin;

    private PrintWriter out;
    private final long started = System.nanoTime();
    /** Held so the level sticks: java.util.logging keeps loggers only weakly. */
    private final Logger waldenLogger = Logger.getLogger("dev.walden");

    @Override
    public Integer call() throws IOException, SQLException, InterruptedException, ConfigException {
        out = spec.commandLine().getOut();
        if (segments < 1 || segments > 1000) {
            throw new ConfigException("--segments must be between 1 and 1000");
        }
        Path push = waldenHome().resolve("bin/walden-push");
        Path bin = LocalCluster.findBinaries(Optional.ofNullable(pgBin).or(() -> configuredPgBin()));
        Path dir = Files.createTempDirectory("walden-demo-");
        waldenLogger.setLevel(Level.WARNING); // the demo narrates; keep the agent quiet
        Path socket = dir.resolve("agent.sock");
        say("working in " + dir + " (PostgreSQL programs from " + bin + ")");
        Agent agent = null;
        LocalCluster cluster = null;
        try {
            say("creating a throwaway cluster with archive_command = '" + push + " --socket " + socket + " %p'");
            cluster = LocalCluster.init(bin, dir.resolve("cluster"), 16, Map.of(
                    "wal_level", "replica",
                    "archive_mode", "on",
                    "archive_command", LocalCluster.quote("\"" + push + "\" --socket \"" + socket + "\" %p")));
            Path repositoryDir = dir.resolve("repository");
            PosixStorage storage = PosixStorage.create(repositoryDir);
            Repository repository = Repository.create(storage, ClusterIdentity.read(cluster.pgdata(), cluster.pgWal()),
                    Clock.systemUTC());
            say("created the repository " + repositoryDir + " for " + repository.cluster() + " (walden init)");
            say("starting the agent on " + socket);
            agent = Agent.start(new AgentConfig(cluster.pgdata(), cluster.pgWal(), socket, Optional.empty(), 2, 1024,
                    Duration.ofSeconds(50), Duration.ofSeconds(30), Compression.ZSTD, Compression.ZSTD.defaultLevel()),
                    storage, Clock.systemUTC());
            say("starting PostgreSQL on port " + cluster.port());
            cluster.start();
            List<String> written = writeWal(cluster);
            String last = written.get(written.size() - 1);
            say("waiting for PostgreSQL to archive through walden-push, up to " + last);
            waitForArchiver(cluster, last);
            say("PostgreSQL reports " + cluster.queryOne("SELECT archived_count FROM pg_stat_archiver")
                    + " files archived, " + cluster.queryOne("SELECT failed_count FROM pg_stat_archiver") + " failures");
            verifyFetch(agent.repository(), cluster, dir.resolve("fetched"));
            say(String.format("done in %.1f s", (System.nanoTime() - started) / 1e9));
            return 0;
        } finally {
            if (cluster != null) {
                cluster.stop();
            }
            if (agent != null) {
                agent.close();
            }
            if (keep) {
                say("kept " + dir);
            } else {
                deleteTree(dir);
            }
        }
    }

    private List<String> writeWal(LocalCluster cluster) throws SQLException {
        say("writing rows and switching WAL segments " + segments + " times");
        cluster.execute("CREATE TABLE demo (id bigint, at timestamptz DEFAULT now(), note text)");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < segments; i++) {
            cluster.execute("INSERT INTO demo (id, note) SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
            names.add(cluster.queryOne("SELECT pg_walfile_name(pg_switch_wal())"));
        }
        return names;
    }

    private static void waitForArchiver(LocalCluster cluster, String last) throws SQLException, InterruptedException,
            IOException {
        long deadline = System.nanoTime() + ARCHIVE_WAIT.toNanos();
        while (true) {
            String archived = cluster.queryOne("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
            if (archived.compareTo(last) >= 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("PostgreSQL archived only up to '" + archived + "' within " + ARCHIVE_WAIT
                        + "; its log is in " + cluster.log());
            }
            Thread.sleep(100);
        }
    }

    private void verifyFetch(Repository repository, LocalCluster cluster, Path target) throws IOException {
        Files.createDirectories(target);
        List<ObjectInfo> objects = repository.storage().list(StoredWal.ROOT);
        say("fetching " + objects.size() + " archived files back as restore_command would, and comparing:");
        WalFetcher fetcher = new WalFetcher(repository);
        long original = 0;
        long stored = 0;
        for (ObjectInfo object : objects) {
            StoredWal wal = StoredWal.parse(object.key(), object.size()).orElseThrow();
            Path copy = target.resolve(wal.name().toString());
            if (!fetcher.fetch(wal.name(), copy)) {
                throw new IOException("'" + wal.name() + "' vanished from the repository");
            }
            Path live = cluster.pgWal().resolve(wal.name().toString());
            String comparison = Files.exists(live)
                    ? (Arrays.equals(Files.readAllBytes(live), Files.readAllBytes(copy)) ? "identical to pg_wal" : null)
                    : "checksum verified (no longer in pg_wal)";
            if (comparison == null) {
                throw new IOException("'" + wal.name() + "' fetched from the repository differs from pg_wal");
            }
            long size = Files.size(copy);
            original += size;
            stored += object.size();
            say(String.format("  %-40s %,11d bytes -> %,9d stored  %s", wal.name(), size, object.size(), comparison));
        }
        say(String.format("%d files, %.1f MiB of WAL stored in %.1f MiB (%s)", objects.size(), original / 1048576.0,
                stored / 1048576.0, Compression.ZSTD.configName()));
    }

    private static Optional<Path> configuredPgBin() {
        try {
            return ConfigSource.load(null, false, System.getenv()).path(ConfigKeys.PG_BIN);
        } catch (ConfigException e) {
            return Optional.empty();
        }
    }

    private static Path waldenHome() throws IOException {
        String home = System.getProperty("walden.home", System.getenv("WALDEN_HOME"));
        if (home == null || !Files.isExecutable(Path.of(home, "bin/walden-push"))) {
            throw new IOException("cannot find bin/walden-push: run the demo through bin/walden of a built "
                    + "distribution (mvn package builds dist/target/walden)");
        }
        return Path.of(home);
    }

    private void say(String line) {
        out.printf("[%5.1fs] %s%n", (System.nanoTime() - started) / 1e9, line);
        out.flush();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
