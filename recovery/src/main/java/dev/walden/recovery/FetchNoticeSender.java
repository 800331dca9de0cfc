package dev.walden.recovery;

import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.protocol.AgentClient;
import dev.walden.protocol.FetchNotice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Tells the agent, best effort, what one {@code walden fetch} came to (a FETCHED notice), so that
 * fetches show in its metrics. Fetch runs in PostgreSQL's restore_command and must work without
 * the agent: the notice is sent only when {@code agent.socket} is set and the socket exists,
 * waits at most {@link #TIMEOUT}, and every failure is ignored; nothing is printed either way.
 */
public final class FetchNoticeSender {
    /** A recovery fetches one file after another: a missing agent may cost each of them this much at most. */
    static final Duration TIMEOUT = Duration.ofMillis(200);

    private FetchNoticeSender() {
    }

    public static void send(ConfigSource config, String walName, FetchNotice.Result result) {
        try {
            Optional<Path> socket = config.path(ConfigKeys.AGENT_SOCKET);
            if (socket.isEmpty() || !Files.exists(socket.get())) {
                return;
            }
            new AgentClient(socket.get(), TIMEOUT).exchange(new FetchNotice(walName, result).toFrame());
        } catch (Exception e) { // anything at all: the fetch's outcome is already decided and must not change
            // the agent is down, busy, old (it answers unknown_request) or the setting is malformed
        }
    }
}
