package dev.walden.db;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How walden reaches the database, resolved the way the two scripts it replaces (the daily
 * {@code pg_dump} cron script and the "safe restore" script) did, from the
 * environment (and a {@code .env} file for what the environment doesn't set):
 * <ol>
 *   <li>the usual libpq variables {@code PGHOST}, {@code PGPORT}, {@code PGUSER},
 *       {@code PGDATABASE}, {@code PGPASSWORD} (and libpq's {@code .pgpass});</li>
 *   <li>{@code DATABASE_URL} ({@code postgres://user:password@host:port/db?sslmode=…}) over them;</li>
 *   <li>{@code DB_HOST}, {@code DB_PORT}, {@code DB_USER}, {@code DB_NAME} over that.</li>
 * </ol>
 * The password never appears in {@link #toString()}, a command line or a log line: child
 * processes get it as {@code PGPASSWORD} in their environment, JDBC as a connection property.
 * A host starting with {@code /} is a Unix socket directory, as with libpq.
 */
public final class ConnectionSettings {
    /** Where the server's socket is when no host is given: libpq's compiled-in default on Debian and Red Hat. */
    public static final String DEFAULT_SOCKET_DIRECTORY = "/var/run/postgresql";
    private final Optional<String> host;
    private final int port;
    private final String user;
    private final String database;
    private final Optional<String> password;
    private final Optional<String> sslmode;

    private ConnectionSettings(Optional<String> host, int port, String user, String database,
                               Optional<String> password, Optional<String> sslmode) {
        this.host = host;
        this.port = port;
        this.user = user;
        this.database = database;
        this.password = password;
        // whatever prints a log line takes it out again (see Secrets)
        password.ifPresent(dev.walden.config.Secrets::register);
        this.sslmode = sslmode;
    }

    /**
     * The connection for {@code config}: from {@code env}, with a {@code .env} file in the config
     * file's directory filling in what the environment doesn't set.
     */
    public static ConnectionSettings from(ConfigSource config, Map<String, String> env) throws ConfigException {
        Map<String, String> dotEnv;
        Path dotEnvFile = config.baseDirectory().resolve(".env");
        try {
            dotEnv = DotEnv.read(dotEnvFile);
        } catch (IOException e) {
            throw new ConfigException("cannot read '" + dotEnvFile + "': " + e.getMessage(), e);
        }
        try {
            return resolve(env, dotEnv, System.getProperty("user.name"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("database connection: " + e.getMessage());
        }
    }

    /**
     * Resolves the settings.
     *
     * @param env the process environment
     * @param dotEnv the {@code .env} file's variables, used for names the environment doesn't set
     * @param osUser the login name, libpq's default user
     * @throws IllegalArgumentException naming the variable that is malformed
     */
    public static ConnectionSettings resolve(Map<String, String> env, Map<String, String> dotEnv, String osUser) {
        Map<String, String> vars = new LinkedHashMap<>(dotEnv);
        vars.putAll(env);
        Optional<String> host = nonEmpty(vars.get("PGHOST"));
        String port = nonEmpty(vars.get("PGPORT")).orElse("5432");
        String user = nonEmpty(vars.get("PGUSER")).orElse(osUser);
        Optional<String> database = nonEmpty(vars.get("PGDATABASE"));
        Optional<String> password = nonEmpty(vars.get("PGPASSWORD"));
        Optional<String> sslmode = nonEmpty(vars.get("PGSSLMODE"));

        Optional<String> url = nonEmpty(vars.get("DATABASE_URL"));
        if (url.isPresent()) {
            DatabaseUrl parsed = DatabaseUrl.parse(url.get());
            if (parsed.host().isPresent()) {
                host = parsed.host();
            }
            if (parsed.port().isPresent()) {
                port = parsed.port().get();
            }
            if (parsed.user().isPresent()) {
                user = parsed.user().get();
            }
            if (parsed.password().isPresent()) {
                password = parsed.password();
            }
            if (parsed.database().isPresent()) {
                database = parsed.database();
            }
            if (parsed.sslmode().isPresent()) {
                sslmode = parsed.sslmode();
            }
        }
        Optional<String> dbHost = nonEmpty(vars.get("DB_HOST"));
        if (dbHost.isPresent()) {
            host = dbHost;
        }
        port = nonEmpty(vars.get("DB_PORT")).orElse(port);
        user = nonEmpty(vars.get("DB_USER")).orElse(user);
        Optional<String> dbName = nonEmpty(vars.get("DB_NAME"));
        if (dbName.isPresent()) {
            database = dbName;
        }
        int portNumber;
        try {
            portNumber = Integer.parseInt(port);
            if (portNumber < 1 || portNumber > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + port + "' (from DB_PORT, DATABASE_URL or PGPORT) is not a "
                    + "port number");
        }
        return new ConnectionSettings(host, portNumber, user, database.orElse(user), password, sslmode);
    }

    private static Optional<String> nonEmpty(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }

    /** The same settings for another database on the same server. */
    public ConnectionSettings withDatabase(String name) {
        return new ConnectionSettings(host, port, user, name, password, sslmode);
    }

    /** The same user, password and database on another server (a socket directory or a host, and its port). */
    public ConnectionSettings withServer(String host, int port) {
        return new ConnectionSettings(Optional.of(host), port, user, database, password, sslmode);
    }

    public Optional<String> host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String user() {
        return user;
    }

    public String database() {
        return database;
    }

    public boolean hasPassword() {
        return password.isPresent();
    }

    /** Whether the host is a Unix socket directory (or unset, which libpq takes as its default socket). */
    public boolean usesUnixSocket() {
        return host.isEmpty() || host.get().startsWith("/");
    }

    /**
     * The directory of the server's Unix socket: the host when it is a directory, else (no host)
     * {@link #DEFAULT_SOCKET_DIRECTORY}; empty for a TCP connection.
     */
    public Optional<String> socketDirectory() {
        return usesUnixSocket() ? Optional.of(host.orElse(DEFAULT_SOCKET_DIRECTORY)) : Optional.empty();
    }

    /**
     * What a connection really tries, for messages (the one place that says it): {@code PostgreSQL
     * on socket '/var/run/postgresql/.s.PGSQL.5432' as 'postgres' (database 'shop')}, or {@code
     * PostgreSQL at 'db.example.com:5432' as 'app' (database 'shop')}. Never a password.
     */
    public String describe() {
        String where = socketDirectory()
                .map(dir -> "on socket '" + (dir.endsWith("/") ? dir : dir + "/") + ".s.PGSQL." + port + "'")
                .orElseGet(() -> "at '" + host.orElseThrow() + ":" + port + "'");
        return "PostgreSQL " + where + " as '" + user + "' (database '" + database + "')";
    }

    /**
     * The libpq environment for pg_dump, pg_restore and psql: the connection, the password
     * (never on the command line), and nothing else changed.
     */
    public Map<String, String> libpqEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        host.ifPresent(h -> env.put("PGHOST", h));
        env.put("PGPORT", Integer.toString(port));
        env.put("PGUSER", user);
        env.put("PGDATABASE", database);
        password.ifPresent(p -> env.put("PGPASSWORD", p));
        sslmode.ifPresent(m -> env.put("PGSSLMODE", m));
        return env;
    }

    /**
     * A connection string to print for people, which psql reaches the same server with: a socket
     * connection names its directory ({@code ?host=}), also when it is the default one. No password,
     * ever; names percent-encoded (see {@link ConnectionUri}).
     */
    public String displayUrl() {
        return ConnectionUri.of(user, socketDirectory().or(() -> host), port, database);
    }

    /** The JDBC password property, when one is known (otherwise pgjdbc reads .pgpass itself). */
    Optional<String> password() {
        return password;
    }

    Optional<String> sslmode() {
        return sslmode;
    }

    @Override
    public String toString() {
        return displayUrl();
    }
}
