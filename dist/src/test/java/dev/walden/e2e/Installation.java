package dev.walden.e2e;

import dev.walden.postgres.LocalCluster;
import dev.walden.postgres.PgBinaries;
import dev.walden.protocol.AgentClient;
import dev.walden.protocol.AgentClientException;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The built distribution ({@code dist/target/walden}) as an operator installs it: a config file,
 * a repository directory, the agent as a separate process, and bin/walden and bin/walden-push
 * run as commands.
 */
final class Installation implements AutoCloseable {
    static final Path HOME = Path.of(System.getProperty("walden.home", "target/walden")).toAbsolutePath();

    final Path dir;
    final Path config;
    final Path repository;
    final Path socket;
    private Process agent;
    /** Extra environment of every walden process started here (S3 credentials, for example). */
    private final Map<String, String> environment = new java.util.HashMap<>();

    /** A result of running one command. */
    record Run(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + ", stdout: " + stdout + ", stderr: " + stderr;
        }
    }

    Installation(Path dir, Path pgdata) throws IOException {
        this.dir = dir;
        this.config = dir.resolve("walden.conf");
        this.repository = dir.resolve("repository");
        this.socket = dir.resolve("agent.sock");
        Files.writeString(config, "pgdata = " + pgdata + "\nrepository.path = " + repository + "\nagent.socket = "
                + socket + "\nagent.store_timeout = 20s\nhttp.listen = 127.0.0.1:0\n");
    }

    /** PostgreSQL binaries: $WALDEN_PG_BIN or Debian's PostgreSQL 15. */
    static Path pgBin() throws IOException {
        String env = System.getenv("WALDEN_PG_BIN");
        return PgBinaries.server(Optional.of(Path.of(env == null || env.isBlank()
                ? "/usr/lib/postgresql/15/bin" : env)));
    }

    /** The archive_command line for postgresql.conf, as the README gives it. */
    String archiveCommand() {
        return archiveCommand("bin/walden-push");
    }

    /** The archive_command line running {@code program} (in the installation) with {@code flags} before %p. */
    String archiveCommand(String program, String... flags) {
        return LocalCluster.quote("\"" + HOME.resolve(program) + "\" --config \"" + config + "\" "
                + (flags.length == 0 ? "" : String.join(" ", flags) + " ") + "%p");
    }

    String restoreCommand() {
        return LocalCluster.quote("\"" + HOME.resolve("bin/walden") + "\" fetch --config \"" + config + "\" %f %p");
    }

    /** A cluster set up to archive through this installation. */
    LocalCluster initCluster(Path clusterDir, Map<String, String> extra) throws IOException {
        return initCluster(pgBin(), clusterDir, extra, List.of());
    }

    /** A cluster of the PostgreSQL in {@code bin}, with extra initdb arguments. */
    LocalCluster initCluster(Path bin, Path clusterDir, Map<String, String> extra, List<String> initdbArguments)
            throws IOException {
        Map<String, String> settings = new java.util.HashMap<>(Map.of(
                "wal_level", "replica",
                "archive_mode", "on",
                "archive_command", archiveCommand(),
                "fsync", "off",
                "wal_keep_size", "'2GB'",
                "max_wal_size", "'4GB'"));
        settings.putAll(extra);
        return LocalCluster.init(bin, clusterDir, 16, settings, initdbArguments);
    }

    /** walden init: creates the repository for the cluster, as an operator does once. */
    void init() throws IOException, InterruptedException {
        Run run = walden("init", "--config", config.toString());
        if (run.exit() != 0) {
            throw new IOException("walden init failed: " + run);
        }
    }

    /**
     * How walden reaches the database: a .env next to the config file, as the two scripts walden
     * replaces (the daily pg_dump cron script and the "safe restore" script) kept it (the Unix
     * socket, so no password).
     */
    void connectTo(LocalCluster cluster) throws IOException {
        Files.writeString(dir.resolve(".env"), "DB_HOST=" + cluster.socketDirectory() + "\nDB_PORT=" + cluster.port()
                + "\nDB_USER=postgres\nDB_NAME=postgres\n");
    }

    /** Sets environment variables for every walden process this installation starts from now on. */
    void environment(Map<String, String> variables) {
        environment.putAll(variables);
    }

    /** Appends settings to the config file. */
    void configure(String... lines) throws IOException {
        Files.writeString(config, String.join("\n", lines) + "\n", java.nio.file.StandardOpenOption.APPEND);
    }

    void startAgent() throws IOException, InterruptedException {
        if (agent != null && agent.isAlive()) {
            throw new IllegalStateException("agent already running");
        }
        ProcessBuilder builder = new ProcessBuilder(HOME.resolve("bin/walden").toString(), "agent", "--config",
                config.toString());
        builder.environment().putAll(environment);
        agent = builder.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("agent.log").toFile()))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new IOException("agent exited with " + agent.exitValue() + ": " + agentLog());
            }
            try {
                new AgentClient(socket, Duration.ofSeconds(2)).exchange(Frame.of(FrameType.PING));
                return;
            } catch (AgentClientException e) {
                Thread.sleep(50);
            }
        }
        throw new IOException("agent did not answer within 30 s: " + agentLog());
    }

    /** SIGTERM, as systemd would stop it; returns the exit code. */
    int stopAgent() throws InterruptedException {
        agent.destroy();
        if (!agent.waitFor(60, TimeUnit.SECONDS)) {
            agent.destroyForcibly();
            throw new IllegalStateException("agent ignored SIGTERM for 60 s");
        }
        return agent.exitValue();
    }

    /** SIGKILL: no shutdown hook, no cleanup, as a crash or the OOM killer would leave it. */
    void killAgent() throws InterruptedException {
        agent.destroyForcibly();
        agent.waitFor(60, TimeUnit.SECONDS);
    }

    String agentLog() throws IOException {
        Path log = dir.resolve("agent.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    Run walden(String... args) throws IOException, InterruptedException {
        return run(dir, Path.of("/dev/null"), environment, HOME.resolve("bin/walden").toString(), args);
    }

    /** walden with {@code input} on its stdin, as if typed at a prompt. */
    Run waldenTyping(String input, String... args) throws IOException, InterruptedException {
        Path in = Files.createTempFile("walden-in", ".txt");
        try {
            Files.writeString(in, input);
            return run(dir, in, environment, HOME.resolve("bin/walden").toString(), args);
        } finally {
            Files.deleteIfExists(in);
        }
    }

    Run push(Path workingDirectory, String... args) throws IOException, InterruptedException {
        return run(workingDirectory, HOME.resolve("bin/walden-push").toString(), args);
    }

    /**
     * Stops the server of {@code pgdata} with {@code bin}'s pg_ctl at once ({@code -m immediate}):
     * a crash of production, or the end of a recovered copy; a directory where none runs is no error.
     */
    static Run stopImmediately(Path bin, Path pgdata) throws IOException, InterruptedException {
        return run(pgdata.toAbsolutePath().getParent(), bin.resolve("pg_ctl").toString(), "-D", pgdata.toString(), "-m",
                "immediate", "stop");
    }

    /** Runs a program with nothing on its stdin (a prompt reads end-of-file). */
    static Run run(Path workingDirectory, String program, String... args) throws IOException, InterruptedException {
        return run(workingDirectory, Path.of("/dev/null"), program, args);
    }

    static Run run(Path workingDirectory, Path stdin, String program, String... args)
            throws IOException, InterruptedException {
        return run(workingDirectory, stdin, Map.of(), program, args);
    }

    static Run run(Path workingDirectory, Path stdin, Map<String, String> environment, String program, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(program);
        command.addAll(List.of(args));
        Path out = Files.createTempFile("walden-out", ".txt");
        Path err = Files.createTempFile("walden-err", ".txt");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile());
            builder.environment().putAll(environment);
            Process p = builder.redirectInput(stdin.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within 120 s");
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Override
    public void close() {
        if (agent != null && agent.isAlive()) {
            try {
                stopAgent();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                agent.destroyForcibly();
            }
        }
    }
}
