package dev.walden.cli.setup;

import dev.walden.agent.Agent;
import dev.walden.agent.AgentConfig;
import dev.walden.agent.jobs.JobSetup;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.console.Sizes;
import dev.walden.postgres.LocalCluster;
import dev.walden.postgres.PgBinaries;
import dev.walden.protocol.AgentClient;
import dev.walden.protocol.AgentClientException;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.ProtocolException;
import dev.walden.recovery.PointInTimeRecovery;
import dev.walden.recovery.RecoveryReport;
import dev.walden.recovery.RecoveryTarget;
import dev.walden.recovery.RepositoryVerifier;
import dev.walden.repo.Repository;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.ClusterIdentity;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
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
 * {@code walden demo}: the whole story on a throwaway cluster and a repository in a temporary
 * directory — archive, back up, lose data, recover to the instant before — through the same
 * agent, backup and recovery code the real commands run. Nothing outside that directory is
 * touched: the demo's configuration is read with an empty environment, so no WALDEN_*, PG* or
 * DATABASE_URL variable can point it at a real server or repository.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run walden's whole story on a throwaway PostgreSQL cluster and a local repository in a "
                + "temporary directory: start the agent, archive WAL through walden-push under a small workload, take "
                + "a base backup, commit orders before and after a remembered instant (then delete them all by "
                + "'accident'), verify the repository, recover a new cluster to that instant, and show that exactly "
                + "the orders committed before it are back.",
                "Nothing outside the temporary directory is touched; it is removed at the end unless --keep."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the recovered cluster showed exactly the orders committed before the instant",
                "1:a step failed; the message says which"})
public final class DemoCommand implements Callable<Integer> {
    private static final Duration ARCHIVE_WAIT = Duration.ofSeconds(90);
    private static final int BEFORE = 6;
    private static final int AFTER = 3;

    @Spec
    CommandSpec spec;

    @Option(names = "--keep", description = "keep the temporary directory (clusters, repository) for a look")
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
        Path push = waldenHome().resolve("bin/walden-push");
        Path bin = PgBinaries.server(Optional.ofNullable(pgBin).or(DemoCommand::configuredPgBin));
        Path dir = Files.createTempDirectory("walden-demo-");
        waldenLogger.setLevel(Level.WARNING); // the demo narrates; keep the agent quiet
        Path socket = dir.resolve("agent.sock");
        Path conf = dir.resolve("walden.conf");
        say("working in " + dir + " (PostgreSQL programs from " + bin + ")");
        Agent agent = null;
        LocalCluster cluster = null;
        PointInTimeRecovery.Recovered recovered = null;
        try {
            say("creating a throwaway cluster (initdb --data-checksums) archiving with");
            say("  archive_command = '" + push + " --socket " + socket + " %p'");
            cluster = LocalCluster.init(bin, dir.resolve("cluster"), 16, Map.of(
                    "wal_level", "replica",
                    "archive_mode", "on",
                    "archive_command", LocalCluster.quote("\"" + push + "\" --socket \"" + socket + "\" %p")),
                    List.of("--data-checksums"));
            Files.writeString(conf, String.join("\n", "# the demo's walden.conf",
                    "pgdata = " + cluster.pgdata(), "repository.path = " + dir.resolve("repository"),
                    "agent.socket = " + socket, "pg_bin = " + bin, "schedule =", ""));
            Files.writeString(dir.resolve(".env"), "DB_HOST=" + cluster.socketDirectory() + "\nDB_PORT="
                    + cluster.port() + "\nDB_USER=postgres\nDB_NAME=postgres\n");
            ConfigSource config = ConfigSource.load(conf, true, Map.of());

            PosixStorage storage = PosixStorage.create(config.requiredPath(ConfigKeys.REPOSITORY_PATH));
            Repository repository = Repository.create(storage, ClusterIdentity.read(cluster.pgdata(), cluster.pgWal()),
                    Clock.systemUTC());
            say("walden init: repository " + storage.root() + " for " + repository.cluster());
            say("walden agent: listening on " + socket);
            agent = Agent.start(AgentConfig.from(config), storage, Clock.systemUTC(),
                    Optional.of(JobSetup.from(config, Map.of())));
            say("starting PostgreSQL on port " + cluster.port());
            cluster.start();

            say("workload: a table of orders, and some WAL to archive");
            cluster.execute("CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL, "
                            + "placed_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                    "CREATE TABLE filler AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, 50000) g",
                    "SELECT pg_switch_wal()");
            backup(socket);

            for (int id = 1; id <= BEFORE; id++) {
                order(cluster, id);
            }
            String instant = cluster.queryOne("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                    + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
            say("committed orders 1-" + BEFORE + "; remembering the instant " + instant);
            Thread.sleep(50);
            for (int id = BEFORE + 1; id <= BEFORE + AFTER; id++) {
                order(cluster, id);
            }
            cluster.execute("DELETE FROM orders");
            say("committed orders " + (BEFORE + 1) + "-" + (BEFORE + AFTER) + ", then by 'accident': DELETE FROM "
                    + "orders; production now has " + cluster.queryOne("SELECT count(*) FROM orders") + " orders");
            String last = cluster.queryOne("SELECT pg_walfile_name(pg_switch_wal())");
            waitForArchiver(cluster, last);
            say("PostgreSQL archived through walden-push up to " + last + " ("
                    + cluster.queryOne("SELECT archived_count FROM pg_stat_archiver") + " files, "
                    + cluster.queryOne("SELECT failed_count FROM pg_stat_archiver") + " failures)");

            RepositoryVerifier.Result verified = new RepositoryVerifier(repository, 2, out).verify();
            say(String.format("walden verify: read back %d objects (%s) through their checksums: %s",
                    verified.objectsChecked(), Sizes.bytes(verified.bytesChecked()),
                    verified.healthy() ? "healthy" : verified.problems()));
            if (!verified.healthy()) {
                throw new IOException("the demo's repository is not healthy: " + verified.problems());
            }

            Path target = dir.resolve("recovered");
            say("walden recover --target-time " + instant + " --pgdata " + target);
            PointInTimeRecovery.Request request = PointInTimeRecovery.Request.to(
                    new RecoveryTarget.Time(OffsetDateTime.parse(instant)), target).pgBin(Optional.of(bin))
                    .timeout(Duration.ofMinutes(5)).build();
            recovered = new PointInTimeRecovery(config, out).recover(request);
            RecoveryReport.print(recovered, request, out);
            showRows(recovered.port());
            say(String.format("done in %.1f s", (System.nanoTime() - started) / 1e9));
            return 0;
        } finally {
            if (recovered != null && keep) {
                recovered.stop();
            } else if (recovered != null) {
                recovered.remove(); // its staged WAL and log too, and a socket directory made for a long path
            }
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

    /** walden backup, as the command does it when an agent runs: the agent takes it and reports progress. */
    private void backup(Path socket) throws IOException {
        say("walden backup: the agent takes a base backup");
        try {
            Frame reply = new AgentClient(socket, Duration.ofMinutes(5)).exchange(Frame.of(FrameType.BACKUP),
                    line -> say("  " + line));
            if (reply.type() != FrameType.OK) {
                throw new IOException("the demo's base backup failed: " + ErrorReply.fromFrame(reply).message());
            }
            say("  " + reply.bodyText());
        } catch (AgentClientException | ProtocolException e) {
            throw new IOException("the demo's base backup failed: " + e.getMessage(), e);
        }
    }

    private static void order(LocalCluster cluster, int id) throws SQLException {
        cluster.execute("INSERT INTO orders (id, item) VALUES (" + id + ", 'order " + id + "')");
    }

    /** The recovered cluster's orders: exactly those committed before the instant, or the demo fails. */
    private void showRows(int port) throws SQLException, IOException {
        List<Integer> ids = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port
                + "/postgres?user=postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, item, to_char(placed_at AT TIME ZONE 'UTC', "
                     + "'HH24:MI:SS.US') FROM orders ORDER BY id")) {
            say("the recovered cluster's orders:");
            while (rs.next()) {
                ids.add(rs.getInt(1));
                say(String.format("  %2d  %-10s placed %s UTC", rs.getInt(1), rs.getString(2), rs.getString(3)));
            }
        }
        List<Integer> expected = new ArrayList<>();
        for (int id = 1; id <= BEFORE; id++) {
            expected.add(id);
        }
        if (!ids.equals(expected)) {
            throw new IOException("the recovered cluster has orders " + ids + ", expected exactly " + expected);
        }
        say("exactly the " + BEFORE + " orders committed before the instant are back; the " + AFTER
                + " after it and the DELETE are not");
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
