package dev.walden.cli;

import dev.walden.agent.AgentConfig;
import dev.walden.agent.jobs.JobSetup;
import dev.walden.cli.recovery.FetchCommand;
import dev.walden.cli.setup.AgentCommand;
import dev.walden.config.ConfigSource;
import dev.walden.log.LogSetup;
import dev.walden.protocol.AgentClient;
import dev.walden.protocol.FetchRequest;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.PushRequest;
import dev.walden.recovery.PointInTimeRecovery;
import dev.walden.repo.StorageFactory;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalPageHeader;
import dev.walden.wal.WalSegmentSize;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import picocli.CommandLine;

/**
 * Build-time only: runs the paths every {@code walden} command and the agent's start take (the
 * command line and its help, the configuration, a repository made and listed, the agent started,
 * a segment pushed, fetched and verified, the agent stopped) on a made-up cluster with no
 * PostgreSQL, so the JDK records the classes they load into the start-up cache that
 * {@code bin/walden} uses (an AOT cache on JDK 25+, a CDS archive on 21-24). Not a command.
 */
public final class StartupTraining {
    private static final long SYSTEM_IDENTIFIER = 7_000_000_000_000_000_001L;

    private StartupTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("walden-training");
        int failures = 0;
        try {
            failures = train(dir);
        } finally {
            PointInTimeRecovery.deleteTree(dir);
        }
        // System.exit, not a return: the agent's pools may still be winding down, and the JVM writes
        // the cache as it exits
        System.exit(failures == 0 ? 0 : 1);
    }

    private static int train(Path dir) throws Exception {
        ClusterIdentity cluster = new ClusterIdentity(SYSTEM_IDENTIFIER, 15,
                new WalSegmentSize(16 * 1024 * 1024));
        Path pgdata = madeUpDataDirectory(dir.resolve("pgdata"), cluster);
        Path config = Files.writeString(dir.resolve("walden.conf"), String.join("\n",
                "pgdata = " + pgdata,
                "repository.path = " + dir.resolve("repo"),
                "agent.socket = " + dir.resolve("agent.sock"),
                "schedule =",
                "schedule.drill =",
                "schedule.verify =",
                "log.level = warn",
                ""));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        String conf = config.toString();
        int failures = 0;
        failures += command(0, "--version");
        failures += command(0, "--help");
        for (String sub : new String[] {"init", "agent", "backup", "dump", "expire", "list", "recover", "restore",
                "verify", "fetch", "status", "drill", "check"}) {
            failures += command(0, sub, "--help");
        }
        failures += command(0, "init", "--config", conf);
        failures += command(2, "recover", "--config", conf, "--port", "70000");

        ConfigSource source = ConfigSource.load(config, true, Map.of());
        LogSetup.apply("text", "warn"); // the agent's INFO lines are no news in a build log
        WalFileName first = WalFileName.segment(1, 1, cluster.segmentSize());
        // started as `walden agent` starts it: its metrics and HTTP endpoint too (on a free loopback port)
        AgentCommand.Running running = AgentCommand.start(AgentConfig.from(source), StorageFactory.open(source),
                JobSetup.from(source, Map.of()), Optional.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                Optional.empty());
        try {
            AgentClient client = new AgentClient(dir.resolve("agent.sock"), Duration.ofSeconds(30));
            failures += expect(client.exchange(Frame.of(FrameType.PING)), "ping");
            failures += expect(client.exchange(new PushRequest(pgdata.resolve("pg_wal").resolve(first.toString())
                    .toString()).toFrame()), "push");
            failures += expect(client.exchange(Frame.of(FrameType.STATUS)), "status");
            Path replay = Files.createDirectories(dir.resolve("replay/pg_wal"));
            failures += expect(client.exchange(new FetchRequest(first.toString(), replay.resolve("RECOVERYXLOG")
                    .toString()).toFrame()), "fetch");
            failures += command(0, "status", "--config", conf);
            failures += scrape(running.http().orElseThrow().address());
        } finally {
            running.close();
        }
        failures += command(0, "list", "--config", conf);
        failures += command(0, "list", "--config", conf, "--json");
        failures += command(1, "verify", "--config", conf); // WAL but no base backup: nothing recoverable
        failures += command(0, "fetch", "--config", conf, first.toString(), dir.resolve("fetched").toString());
        failures += command(FetchCommand.NOT_FOUND_FROM_JVM, "fetch", "--config", conf,
                WalFileName.segment(1, 9, cluster.segmentSize()).toString(), dir.resolve("missing").toString());
        return failures;
    }

    /** PG_VERSION, global/pg_control with the system identifier, and one written WAL segment. */
    private static Path madeUpDataDirectory(Path pgdata, ClusterIdentity cluster) throws IOException {
        Files.createDirectories(pgdata.resolve("pg_wal/archive_status"));
        Files.writeString(pgdata.resolve("PG_VERSION"), cluster.pgMajor() + "\n");
        ClusterIdentity.writeMadeUpControlFile(pgdata, cluster.systemIdentifier());
        WalFileName name = WalFileName.segment(1, 1, cluster.segmentSize());
        byte[] segment = new byte[cluster.segmentSize().bytes()];
        new Random(1).nextBytes(segment);
        WalPageHeader.first(cluster, name).writeTo(segment);
        Files.write(pgdata.resolve("pg_wal").resolve(name.toString()), segment);
        return pgdata;
    }

    /**
     * Runs one command in this JVM, its output captured; 0 when it exited {@code expected}, else 1
     * (and prints what it said).
     */
    private static int command(int expected, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream captured = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        int exit;
        System.setOut(captured);
        System.setErr(captured);
        try {
            CommandLine cli = Walden.commandLine();
            cli.setOut(new PrintWriter(captured, true));
            cli.setErr(new PrintWriter(captured, true));
            exit = cli.execute(args);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        if (exit != expected) {
            System.err.println("training: walden " + String.join(" ", args) + " exited " + exit + ", expected "
                    + expected + ":\n" + out.toString(StandardCharsets.UTF_8));
            return 1;
        }
        return 0;
    }

    /** GET /metrics from the agent's endpoint: 0 when it answered 200, else 1. */
    private static int scrape(InetSocketAddress endpoint) throws IOException {
        HttpURLConnection http = (HttpURLConnection) URI.create("http://" + endpoint.getHostString() + ":"
                + endpoint.getPort() + "/metrics").toURL().openConnection();
        try (InputStream in = http.getInputStream()) {
            in.readAllBytes();
            return http.getResponseCode() == 200 ? 0 : 1;
        } finally {
            http.disconnect();
        }
    }

    private static int expect(Frame reply, String what) {
        if (reply.type() != FrameType.OK) {
            System.err.println("training: " + what + " answered " + reply.type() + ": " + reply.bodyText());
            return 1;
        }
        return 0;
    }
}
