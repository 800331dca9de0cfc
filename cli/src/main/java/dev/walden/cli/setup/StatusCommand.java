package dev.walden.cli.setup;

import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.protocol.AgentClient;
import dev.walden.protocol.AgentClientException;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.ProtocolException;
import dev.walden.protocol.StatusReply;
import dev.walden.repo.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walden status}: ask the running agent how it is doing. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Ask the running agent for its state: what it archived, what failed, what is queued.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the agent answered", "2:bad configuration", "3:no agent is running", "5:other failure"})
public final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--socket", paramLabel = "PATH", description = "agent socket (default: agent.socket)")
    Path socket;

    @Option(names = "--json", description = "machine-readable output: one object of the same keys and values")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path path;
        try {
            path = socket != null ? socket
                    : config.locate().requiredPath(ConfigKeys.AGENT_SOCKET);
        } catch (ConfigException e) {
            err.println("walden status: " + e.getMessage());
            return 2;
        }
        try {
            Frame reply = new AgentClient(path, Duration.ofSeconds(10)).exchange(Frame.of(FrameType.STATUS));
            if (reply.type() == FrameType.ERROR) {
                err.println("walden status: " + ErrorReply.fromFrame(reply));
                return 5;
            }
            Map<String, String> values = StatusReply.fromFrame(reply).values();
            if (json) {
                Json.print(out, values);
            } else {
                values.forEach((k, v) -> out.printf("%-24s %s%n", k, v));
            }
            return 0;
        } catch (AgentClientException e) {
            err.println("walden status: " + e.getMessage());
            return e.kind() == AgentClientException.Kind.NOT_RUNNING ? 3 : 5;
        } catch (ProtocolException e) {
            err.println("walden status: invalid reply: " + e.getMessage());
            return 5;
        }
    }
}
