package dev.walden.cli.setup;

import dev.walden.agent.Agent;
import dev.walden.agent.AgentConfig;
import dev.walden.agent.HeapBudget;
import dev.walden.agent.archive.AgentMetrics;
import dev.walden.agent.http.HttpEndpoint;
import dev.walden.agent.http.PrometheusMetrics;
import dev.walden.agent.jobs.JobSetup;
import dev.walden.agent.stream.StreamSettings;
import dev.walden.agent.stream.StreamSlot;
import dev.walden.agent.stream.WalStreamer;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.db.ConnectionSettings;
import dev.walden.db.Database;
import dev.walden.log.LogSetup;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code walden agent}: run the resident agent until SIGTERM or SIGINT. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run the resident agent: listen on agent.socket and archive the WAL files walden-push hands "
                + "over into the repository; take base backups on request (walden backup) and run the daily "
                + "schedule (backup, dumps, expiry; see 'schedule').",
                "It needs the repository that 'walden init' made for the cluster in pgdata, and never creates one "
                        + "itself: a backup disk that isn't mounted must not become a fresh repository on the root "
                        + "filesystem. Stops cleanly on SIGTERM or SIGINT, letting files being archived finish "
                        + "(agent.shutdown_timeout).",
                "With agent.stream = on it also streams WAL over replication through its slot walden_<system id> "
                        + "and stores the segment being written as it grows, so recovery reaches seconds ago."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped cleanly by SIGTERM or SIGINT; with --drop-slot, the slot is gone (or there was none)",
                "1:could not start (no repository: run 'walden init' first), or could not stop cleanly, or could not "
                        + "drop the slot (the message says why)"})
public final class AgentCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger(Agent.class.getName());

    @Mixin
    ConfigOption config;

    @Option(names = "--drop-slot", description = "Drop the agent's replication slot (walden_<system id>) on the database "
            + "server and exit, e.g. after setting agent.stream = off: a slot nobody streams from keeps WAL on the "
            + "server without limit. Refused while an agent streams from it.")
    boolean dropSlot;

    /**
     * The agent for the arguments its service unit passes, {@code agent} or {@code agent --config FILE}
     * (or {@code --config=FILE}), parsed without the command line's library; empty for any other
     * arguments, which the command line parses as always (help, errors, ...).
     */
    public static Optional<AgentCommand> asTheUnitRunsIt(String[] args) {
        if (args.length == 0 || !args[0].equals("agent")) {
            return Optional.empty();
        }
        String file;
        if (args.length == 1) {
            file = null;
        } else if (args.length == 2 && args[1].startsWith("--config=") && args[1].length() > "--config=".length()) {
            file = args[1].substring("--config=".length());
        } else if (args.length == 3 && args[1].equals("--config") && !args[2].startsWith("-")) {
            file = args[2];
        } else {
            return Optional.empty();
        }
        AgentCommand agent = new AgentCommand();
        agent.config = ConfigOption.of(file);
        return Optional.of(agent);
    }

    @Override
    public Integer call() throws ConfigException, IOException, InterruptedException {
        ConfigSource source = config.locate();
        check(source);
        if (dropSlot) {
            return dropSlot(source);
        }
        LogSetup.apply(source.required(ConfigKeys.LOG_FORMAT), source.required(ConfigKeys.LOG_LEVEL));
        AgentConfig agentConfig = AgentConfig.from(source);
        JobSetup jobs = JobSetup.from(source, System.getenv());
        Optional<InetSocketAddress> listen;
        try {
            listen = HttpEndpoint.parseListen(source.required(ConfigKeys.HTTP_LISTEN));
        } catch (IllegalArgumentException e) {
            throw source.invalid(ConfigKeys.HTTP_LISTEN, e.getMessage());
        }
        Storage storage = StorageFactory.open(source);
        Optional<StreamSettings> stream = StreamSettings.enabled(source)
                ? Optional.of(StreamSettings.from(source, jobs.settings().connection())) : Optional.empty();
        new HeapBudget(agentConfig.workers(), jobs.settings().backup().workers(), storage.writerMemoryBytes(),
                stream.isEmpty() ? 0 : WalStreamer.heapBytes(segmentSize(agentConfig), storage.writerMemoryBytes()))
                .warning(Runtime.getRuntime().maxMemory())
                .ifPresent(warning -> LOG.log(System.Logger.Level.WARNING, warning));
        // The hook is in place before the socket answers: a supervisor (or a test) that stops the agent as soon as
        // it answers must get a clean stop and exit 0, not the JVM's 143 for a SIGTERM nobody handled.
        CompletableFuture<AutoCloseable> running = new CompletableFuture<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(running), "walden-shutdown"));
        Running agent;
        try {
            agent = start(agentConfig, storage, jobs, listen, stream);
        } catch (IOException | RuntimeException | Error e) {
            running.completeExceptionally(e);
            throw e;
        }
        running.complete(agent);
        agent.agent().awaitClose();
        return 0;
    }

    /** The cluster's WAL segment size; the default when pg_control can't be read (the start then says why). */
    private static WalSegmentSize segmentSize(AgentConfig config) {
        try {
            return ClusterIdentity.read(config.pgdata(), config.pgWal()).segmentSize();
        } catch (IOException | RuntimeException e) {
            return WalSegmentSize.DEFAULT;
        }
    }

    private static int dropSlot(ConfigSource source) throws ConfigException, IOException {
        String slot = StreamSettings.slotName(ClusterIdentity.readSystemIdentifier(source.requiredPath(ConfigKeys.PGDATA)));
        ConnectionSettings connection = JobSetup.from(source, System.getenv()).settings().connection();
        try (Connection c = Database.connect(connection, Duration.ofSeconds(30))) {
            boolean dropped = StreamSlot.drop(c, slot);
            System.out.println(dropped ? "dropped replication slot " + slot + " on " + connection.describe()
                    : "no replication slot " + slot + " on " + connection.describe() + "; nothing to drop");
            return 0;
        } catch (SQLException e) {
            throw new IOException("could not drop replication slot " + slot + ": " + e.getMessage(), e);
        }
    }

    /** The agent and, if it listens, its HTTP endpoint. */
    public record Running(Agent agent, Optional<HttpEndpoint> http) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            http.ifPresent(HttpEndpoint::close);
            agent.close();
        }
    }

    /** Starts the agent, then the HTTP endpoint (also the start-up cache's training of the agent's start). */
    public static Running start(AgentConfig agentConfig, Storage storage, JobSetup jobs,
            Optional<InetSocketAddress> listen, Optional<StreamSettings> stream) throws IOException {
        // Metrics record from the first push on; without the endpoint nobody could read them.
        Optional<PrometheusMetrics> metrics = listen.map(l -> new PrometheusMetrics());
        Agent agent = Agent.start(agentConfig, storage, Clock.systemUTC(), Optional.of(jobs),
                metrics.<AgentMetrics>map(m -> m).orElse(AgentMetrics.NONE));
        if (stream.isPresent()) {
            try {
                agent.startStreaming(stream.get(), Clock.systemUTC());
            } catch (IOException | RuntimeException e) {
                agent.close();
                throw e;
            }
        }
        metrics.ifPresent(PrometheusMetrics::bindRuntimeMetrics);
        if (listen.isPresent()) {
            try {
                HttpEndpoint http = HttpEndpoint.start(listen.get(), agent, metrics.get(),
                        jobs.settings().connection(), Clock.systemUTC());
                LOG.log(System.Logger.Level.INFO, "HTTP endpoint on " + http.address().getHostString() + ":"
                        + http.address().getPort() + " (/metrics, /health, /status)");
                return new Running(agent, Optional.of(http));
            } catch (IOException e) {
                // archiving matters more than metrics: keep archiving, and say so loudly
                LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; the agent runs without it");
            }
        }
        return new Running(agent, Optional.empty());
    }

    /**
     * The shutdown hook: waits for the start to finish, closes what it started and halts with 0 (or 1 if closing
     * failed). If the start failed, the command's own exit code stands.
     */
    private static void stop(CompletableFuture<AutoCloseable> running) {
        AutoCloseable started;
        try {
            started = running.get();
        } catch (ExecutionException e) {
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        int status = 0;
        try {
            started.close();
        } catch (Exception e) {
            System.err.println("walden agent: error while stopping: " + e.getMessage());
            status = 1;
        }
        // The JVM would exit 143 after SIGTERM; a clean stop is a success for systemd & co.
        Runtime.getRuntime().halt(status);
    }

    /** Checks the keys only this command reads ({@code log.*}, {@code http.listen}, {@code agent.stream*}), resolving nothing. */
    public static void check(ConfigSource source) throws ConfigException {
        try {
            LogSetup.style(source.required(ConfigKeys.LOG_FORMAT));
        } catch (IllegalArgumentException e) {
            throw source.invalid(ConfigKeys.LOG_FORMAT, e.getMessage());
        }
        try {
            LogSetup.level(source.required(ConfigKeys.LOG_LEVEL));
        } catch (IllegalArgumentException e) {
            throw source.invalid(ConfigKeys.LOG_LEVEL, e.getMessage());
        }
        StreamSettings.check(source);
        try {
            HttpEndpoint.checkListen(source.required(ConfigKeys.HTTP_LISTEN));
        } catch (IllegalArgumentException e) {
            throw source.invalid(ConfigKeys.HTTP_LISTEN, e.getMessage());
        }
    }
}
