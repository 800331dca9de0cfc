package dev.walden.agent;

import dev.walden.agent.server.AgentSocket;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.config.Durations;
import dev.walden.repo.Compression;
import dev.walden.repo.CompressionSetting;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The agent's settings, validated in one place at start-up. Every error names the key, its value
 * and where it was set.
 */
public record AgentConfig(
        Path pgdata,
        Path pgWal,
        Path socket,
        Optional<String> socketGroup,
        int workers,
        int queueCapacity,
        Duration storeTimeout,
        Duration shutdownTimeout,
        Compression compression,
        int compressionLevel,
        boolean lookAhead,
        int maxConnections,
        Duration frameTimeout) {

    /** sun_path is 108 bytes on Linux, one of them the terminating NUL. */
    public static final int MAX_SOCKET_PATH_BYTES = 107;
    /** A request is at most 64 KiB that a client writes at once: far below this even on a loaded host. */
    static final Duration MIN_FRAME_TIMEOUT = Duration.ofMillis(100);

    /** The settings with the defaults of agent.max_connections and agent.frame_timeout. */
    public AgentConfig(Path pgdata, Path pgWal, Path socket, Optional<String> socketGroup, int workers,
                       int queueCapacity, Duration storeTimeout, Duration shutdownTimeout, Compression compression,
                       int compressionLevel, boolean lookAhead) {
        this(pgdata, pgWal, socket, socketGroup, workers, queueCapacity, storeTimeout, shutdownTimeout, compression,
                compressionLevel, lookAhead, Integer.parseInt(ConfigKeys.AGENT_MAX_CONNECTIONS.defaultValue()),
                Durations.parse(ConfigKeys.AGENT_FRAME_TIMEOUT.defaultValue()));
    }

    public static AgentConfig from(ConfigSource config) throws ConfigException {
        return read(config, Optional.of(config.requiredPath(ConfigKeys.PGDATA)),
                Optional.of(config.requiredPath(ConfigKeys.AGENT_SOCKET)));
    }

    /**
     * Checks every value the agent reads, by the same rules, without requiring {@code pgdata} or
     * {@code agent.socket}: for commands that don't need them.
     */
    public static void check(ConfigSource config) throws ConfigException {
        read(config, config.path(ConfigKeys.PGDATA), config.path(ConfigKeys.AGENT_SOCKET));
    }

    /** The settings; a path that is empty stays null (only {@link #check} passes empty ones). */
    private static AgentConfig read(ConfigSource config, Optional<Path> pgdata, Optional<Path> socket)
            throws ConfigException {
        Optional<Path> pgWal = config.path(ConfigKeys.PG_WAL).or(() -> pgdata.map(d -> d.resolve("pg_wal")));
        if (socket.isPresent() && AgentSocket.temporaryPath(socket.get()).toString().getBytes(StandardCharsets.UTF_8)
                .length > MAX_SOCKET_PATH_BYTES) {
            throw config.invalid(ConfigKeys.AGENT_SOCKET, "'" + socket.get() + "' is too long for a Unix domain socket"
                    + " (at most " + (MAX_SOCKET_PATH_BYTES - AgentSocket.TEMPORARY_SUFFIX_BYTES) + " bytes)");
        }
        Optional<String> group = config.raw(ConfigKeys.AGENT_SOCKET_GROUP).filter(g -> !g.isBlank());
        CompressionSetting compression = CompressionSetting.from(config);
        Duration storeTimeout = config.duration(ConfigKeys.AGENT_STORE_TIMEOUT);
        Duration pushTimeout = config.duration(ConfigKeys.PUSH_TIMEOUT); // walden-push reads it; check it here too
        if (storeTimeout.compareTo(pushTimeout) >= 0) {
            throw config.invalid(ConfigKeys.AGENT_STORE_TIMEOUT, Durations.format(storeTimeout)
                    + " is not below push.timeout (" + Durations.format(pushTimeout) + "): walden-push would give up "
                    + "before the agent could say why a file was not stored");
        }
        Duration frameTimeout = config.duration(ConfigKeys.AGENT_FRAME_TIMEOUT);
        if (frameTimeout.compareTo(MIN_FRAME_TIMEOUT) < 0 || frameTimeout.compareTo(Agent.IDLE_TIMEOUT) > 0) {
            throw config.invalid(ConfigKeys.AGENT_FRAME_TIMEOUT, Durations.format(frameTimeout) + " is outside "
                    + Durations.format(MIN_FRAME_TIMEOUT) + "-" + Durations.format(Agent.IDLE_TIMEOUT));
        }
        return new AgentConfig(pgdata.orElse(null), pgWal.orElse(null), socket.orElse(null), group,
                config.integer(ConfigKeys.AGENT_WORKERS, 1, 64),
                config.integer(ConfigKeys.AGENT_QUEUE_CAPACITY, 16, 1 << 20),
                storeTimeout,
                config.duration(ConfigKeys.AGENT_SHUTDOWN_TIMEOUT),
                compression.compression(), compression.level(),
                config.bool(ConfigKeys.AGENT_LOOK_AHEAD),
                config.integer(ConfigKeys.AGENT_MAX_CONNECTIONS, 1, 65536),
                frameTimeout);
    }
}
