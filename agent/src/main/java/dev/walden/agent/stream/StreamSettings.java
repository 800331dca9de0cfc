package dev.walden.agent.stream;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.config.Durations;
import dev.walden.db.ConnectionSettings;
import java.time.Duration;

/**
 * How the agent streams WAL ({@code agent.stream*}).
 *
 * @param flush longest received WAL waits before it is stored
 * @param synchronous store as soon as WAL arrives, and confirm flush only once stored
 * @param connection the database connection's settings, used for the replication connection too
 */
public record StreamSettings(Duration flush, boolean synchronous, ConnectionSettings connection) {
    static final Duration MIN_FLUSH = Duration.ofMillis(100);
    static final Duration MAX_FLUSH = Duration.ofSeconds(60);
    /** What pg_stat_replication.application_name shows, and synchronous_standby_names names. */
    public static final String APPLICATION_NAME = "walden";

    /** Whether {@code agent.stream} is on. */
    public static boolean enabled(ConfigSource config) throws ConfigException {
        return config.bool(ConfigKeys.AGENT_STREAM);
    }

    public static StreamSettings from(ConfigSource config, ConnectionSettings connection) throws ConfigException {
        return new StreamSettings(flush(config), config.bool(ConfigKeys.AGENT_STREAM_SYNCHRONOUS), connection);
    }

    /** Checks every {@code agent.stream*} value by the rules above, needing no connection. */
    public static void check(ConfigSource config) throws ConfigException {
        enabled(config);
        flush(config);
        config.bool(ConfigKeys.AGENT_STREAM_SYNCHRONOUS);
    }

    private static Duration flush(ConfigSource config) throws ConfigException {
        Duration flush = config.duration(ConfigKeys.AGENT_STREAM_FLUSH);
        if (flush.compareTo(MIN_FLUSH) < 0 || flush.compareTo(MAX_FLUSH) > 0) {
            throw config.invalid(ConfigKeys.AGENT_STREAM_FLUSH, Durations.format(flush) + " is outside "
                    + Durations.format(MIN_FLUSH) + "-" + Durations.format(MAX_FLUSH));
        }
        return flush;
    }

    /** The agent's replication slot for the cluster with this system identifier. */
    public static String slotName(long systemIdentifier) {
        return "walden_" + Long.toUnsignedString(systemIdentifier);
    }
}
