package dev.walden.config;

import java.util.List;
import java.util.Optional;

/**
 * Every configuration key walden knows, declared once. {@code docs/configuration.md} documents each
 * of them (a test keeps the two in step), and a key that isn't here is refused at start-up.
 */
public final class ConfigKeys {
    public static final ConfigKey PGDATA = new ConfigKey("pgdata", null,
            "PostgreSQL data directory of the cluster this agent serves (required by the agent)");
    public static final ConfigKey PG_WAL = new ConfigKey("pg_wal", null,
            "WAL directory the agent may archive from; default: <pgdata>/pg_wal");
    public static final ConfigKey PG_BIN = new ConfigKey("pg_bin", "",
            "directory of PostgreSQL's programs (initdb, pg_ctl, ...); empty: the newest found in the usual places");
    public static final ConfigKey REPOSITORY_PATH = new ConfigKey("repository.path", "backups",
            "directory of the local repository");
    public static final ConfigKey AGENT_SOCKET = new ConfigKey("agent.socket", null,
            "Unix domain socket the agent listens on and walden-push connects to (required)");
    public static final ConfigKey AGENT_SOCKET_GROUP = new ConfigKey("agent.socket_group", "",
            "group that may connect to the socket (mode 0660); empty: owner only (mode 0600)");
    public static final ConfigKey AGENT_WORKERS = new ConfigKey("agent.workers", "2",
            "files archived in parallel (1-64)");
    public static final ConfigKey AGENT_QUEUE_CAPACITY = new ConfigKey("agent.queue_capacity", "1024",
            "requests that may wait for a worker before new ones are refused as overloaded (16-1048576, rounded up to a power of two)");
    public static final ConfigKey AGENT_STORE_TIMEOUT = new ConfigKey("agent.store_timeout", "50s",
            "longest the agent lets one file take before it answers with a timeout error");
    public static final ConfigKey AGENT_SHUTDOWN_TIMEOUT = new ConfigKey("agent.shutdown_timeout", "30s",
            "on shutdown, longest the agent waits for files already being archived");
    public static final ConfigKey COMPRESSION = new ConfigKey("compression", "zstd",
            "compression of stored WAL: zstd, lz4, gzip or none");
    public static final ConfigKey COMPRESSION_LEVEL = new ConfigKey("compression.level", "",
            "compression level; empty: zstd 3, gzip 6, lz4 0 (fast); ranges zstd 1-19, gzip 1-9, lz4 0-17");
    public static final ConfigKey PUSH_TIMEOUT = new ConfigKey("push.timeout", "60s",
            "longest walden-push waits for the agent's answer");
    public static final ConfigKey FETCH_TIMEOUT = new ConfigKey("fetch.timeout", "5m",
            "longest walden fetch may take before it gives up with exit 201 (a hung repository must not hang recovery)");

    public static final List<ConfigKey> ALL = List.of(PGDATA, PG_WAL, PG_BIN, REPOSITORY_PATH, AGENT_SOCKET,
            AGENT_SOCKET_GROUP, AGENT_WORKERS, AGENT_QUEUE_CAPACITY, AGENT_STORE_TIMEOUT,
            AGENT_SHUTDOWN_TIMEOUT, COMPRESSION, COMPRESSION_LEVEL, PUSH_TIMEOUT, FETCH_TIMEOUT);

    /** Environment variables starting with {@code WALDEN_} that are not configuration keys. */
    public static final List<String> RESERVED_ENVIRONMENT = List.of(
            "WALDEN_CONFIG", "WALDEN_HOME", "WALDEN_JAVA", "WALDEN_JAVA_OPTS");

    /** The config file used when neither {@code --config} nor {@code WALDEN_CONFIG} names one. */
    public static final String DEFAULT_CONFIG_FILE = "/etc/walden/walden.conf";

    private ConfigKeys() {
    }

    public static Optional<ConfigKey> byName(String name) {
        return ALL.stream().filter(k -> k.name().equals(name)).findFirst();
    }

    public static Optional<ConfigKey> byEnvironmentVariable(String variable) {
        return ALL.stream().filter(k -> k.environmentVariable().equals(variable)).findFirst();
    }
}
