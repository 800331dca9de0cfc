package dev.walden.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Opens JDBC connections for {@link ConnectionSettings}: over TCP, or over the Unix socket. */
public final class Database {
    private Database() {
    }

    public static Connection connect(ConnectionSettings settings) throws SQLException {
        return connect(settings, "30", null);
    }

    /**
     * Connects, giving up after {@code timeout} (rounded up to whole seconds, pgjdbc's unit) while
     * connecting and logging in, and on any later read that waits that long (a server that froze
     * after accepting): for probes that must stay short, never for backups.
     */
    public static Connection connect(ConnectionSettings settings, java.time.Duration timeout) throws SQLException {
        String seconds = Long.toString(Math.max(1, (timeout.toMillis() + 999) / 1000));
        return connect(settings, seconds, seconds);
    }

    /**
     * Opens a physical replication connection (the walsender protocol: IDENTIFY_SYSTEM,
     * START_REPLICATION), which pg_hba.conf grants through its {@code replication} lines, not
     * the database ones. Connecting and logging in give up after {@code timeout}; reads never
     * do, as a stream may rightly stay silent between the server's keepalives.
     */
    public static Connection connectForReplication(ConnectionSettings settings, java.time.Duration timeout)
            throws SQLException {
        Properties props = new Properties();
        props.setProperty("replication", "true");
        props.setProperty("preferQueryMode", "simple"); // the walsender speaks only the simple protocol
        props.setProperty("assumeMinServerVersion", "10");
        String seconds = Long.toString(Math.max(1, (timeout.toMillis() + 999) / 1000));
        props.setProperty("loginTimeout", seconds);
        return connect(settings, seconds, null, props);
    }

    private static Connection connect(ConnectionSettings settings, String connectSeconds, String loginSeconds)
            throws SQLException {
        return connect(settings, connectSeconds, loginSeconds, new Properties());
    }

    /** @param loginSeconds how long logging in may take; null: as long as it takes */
    private static Connection connect(ConnectionSettings settings, String connectSeconds, String loginSeconds,
                                      Properties props) throws SQLException {
        props.setProperty("user", settings.user());
        settings.password().ifPresent(p -> props.setProperty("password", p));
        settings.sslmode().ifPresent(m -> props.setProperty("sslmode", m));
        props.setProperty("ApplicationName", "walden");
        props.setProperty("connectTimeout", connectSeconds);
        if (loginSeconds != null) {
            props.setProperty("loginTimeout", loginSeconds); // a server that accepts and then says nothing
            props.setProperty("socketTimeout", loginSeconds); // ... or that answers, then freezes mid-query
        }
        props.setProperty("tcpKeepAlive", "true"); // a peer that vanished is noticed, not waited for
        String host = "localhost";
        if (settings.usesUnixSocket()) {
            props.setProperty("socketFactory", UnixSocketFactory.class.getName());
            props.setProperty("socketFactoryArg", settings.socketDirectory().orElseThrow());
            props.setProperty("sslmode", "disable");
            props.setProperty("gssEncMode", "disable");
        } else {
            host = settings.host().orElseThrow();
            if (host.contains(":") && !host.startsWith("[")) {
                host = "[" + host + "]"; // IPv6 literal
            }
        }
        String url = "jdbc:postgresql://" + host + ":" + settings.port() + "/"
                + java.net.URLEncoder.encode(settings.database(), java.nio.charset.StandardCharsets.UTF_8);
        try {
            return DriverManager.getConnection(url, props);
        } catch (SQLException e) {
            throw new SQLException("cannot connect to " + settings.describe() + ": " + reason(settings, e), e.getSQLState(), e);
        }
    }

    /**
     * Why a connection attempt failed, in the words that say it: PostgreSQL's or pgjdbc's message,
     * except where pgjdbc's "The connection attempt failed." would hide the reason: on a Unix
     * socket, what the socket said (no such file, connection refused, permission denied); over
     * TCP, a host name that does not resolve.
     */
    public static String reason(ConnectionSettings settings, SQLException e) {
        Throwable cause = e.getCause();
        if (cause instanceof java.net.UnknownHostException) {
            return "unknown host '" + settings.host().orElse("") + "'";
        }
        if (settings.usesUnixSocket() && cause instanceof java.io.IOException) {
            while (cause.getCause() != null && cause.getCause().getMessage() != null) {
                cause = cause.getCause();
            }
            if (cause.getMessage() != null) {
                return cause.getMessage();
            }
        }
        return String.valueOf(e.getMessage());
    }
}
