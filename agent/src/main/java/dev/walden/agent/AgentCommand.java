package dev.walden.agent;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code walden agent}: run the resident agent until SIGTERM or SIGINT. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run the resident agent: listen on agent.socket and archive the WAL files walden-push hands "
                + "over into the repository; take base backups on request (walden backup) and run the daily "
                + "schedule (backup, dumps, expiry; see 'schedule').",
                "On first start it creates the repository for the cluster in pgdata. Stops cleanly on SIGTERM or "
                        + "SIGINT, letting files being archived finish (agent.shutdown_timeout)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped cleanly by SIGTERM or SIGINT",
                "1:could not start, or could not stop cleanly (the message says why)"})
public final class AgentCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE",
            description = "config file (default: $WALDEN_CONFIG, else /etc/walden/walden.conf)")
    String config;

    @Override
    public Integer call() throws ConfigException, IOException, InterruptedException {
        ConfigSource source = ConfigSource.locate(config, System.getenv());
        AgentConfig agentConfig = AgentConfig.from(source);
        JobSetup jobs = JobSetup.from(source, System.getenv());
        Storage storage = StorageFactory.open(source);
        Agent agent = Agent.start(agentConfig, storage, Clock.systemUTC(), Optional.of(jobs));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            int status = 0;
            try {
                agent.close();
            } catch (IOException | RuntimeException e) {
                System.err.println("walden agent: error while stopping: " + e.getMessage());
                status = 1;
            }
            // The JVM would exit 143 after SIGTERM; a clean stop is a success for systemd & co.
            Runtime.getRuntime().halt(status);
        }, "walden-shutdown"));
        agent.awaitClose();
        return 0;
    }
}
