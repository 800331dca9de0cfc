package dev.walden.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL cluster walden runs itself with the server's own programs: {@code initdb} into a
 * directory, a free port on 127.0.0.1, a private socket directory, {@code pg_ctl start/stop}.
 * The demo's throwaway cluster and the clusters tests run against are these.
 *
 * <p>PostgreSQL refuses to run as root; so does this class, with a message that says what to do.
 */
public final class LocalCluster implements AutoCloseable {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

    private final Path bin;
    private final Path dir;
    private final Path pgdata;
    private final Path socketDir;
    private final Path log;
    private final int port;
    private boolean running;

    private LocalCluster(Path bin, Path dir, int port) {
        this.bin = bin;
        this.dir = dir;
        this.pgdata = dir.resolve("data");
        this.socketDir = dir.resolve("sock");
        this.log = dir.resolve("postgres.log");
        this.port = port;
    }

    /**
     * Runs initdb in {@code dir/data} (superuser {@code postgres}, trust authentication, reachable
     * only through a socket in {@code dir/sock} and 127.0.0.1) and appends {@code settings} to
     * postgresql.conf.
     *
     * @param walSegmentMegabytes WAL segment size in MiB (16 is PostgreSQL's default)
     */
    public static LocalCluster init(Path bin, Path dir, int walSegmentMegabytes, Map<String, String> settings)
            throws IOException {
        return init(bin, dir, walSegmentMegabytes, settings, List.of());
    }

    /** As {@link #init(Path, Path, int, Map)}, with more initdb arguments (e.g. {@code --data-checksums}). */
    public static LocalCluster init(Path bin, Path dir, int walSegmentMegabytes, Map<String, String> settings,
                                    List<String> initdbArguments) throws IOException {
        if ("root".equals(System.getProperty("user.name"))) {
            throw new IOException("PostgreSQL refuses to run as root: run this as an unprivileged user (as root, "
                    + "e.g. runuser -u postgres -- ...)");
        }
        LocalCluster cluster = new LocalCluster(bin, dir, freePort());
        Files.createDirectories(cluster.socketDir);
        List<String> initdb = new ArrayList<>(List.of(cluster.bin.resolve("initdb").toString(), "-D",
                cluster.pgdata.toString(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
                "--wal-segsize=" + walSegmentMegabytes));
        initdb.addAll(initdbArguments);
        cluster.run(initdb);
        StringBuilder conf = new StringBuilder("\n# walden test harness\n");
        conf.append("port = ").append(cluster.port).append('\n');
        conf.append("listen_addresses = '127.0.0.1'\n");
        conf.append("unix_socket_directories = '").append(cluster.socketDir).append("'\n");
        settings.forEach((k, v) -> conf.append(k).append(" = ").append(v).append('\n'));
        Files.writeString(cluster.pgdata.resolve("postgresql.conf"), conf, StandardOpenOption.APPEND);
        return cluster;
    }

    /** Quotes a value for postgresql.conf. */
    public static String quote(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    public LocalCluster start() throws IOException {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", pgdata.toString(), "-l", log.toString(), "-w", "-t", "60",
                "start"));
        running = true;
        return this;
    }

    public void stop() throws IOException {
        if (running) {
            running = false;
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", pgdata.toString(), "-m", "fast", "-w", "-t", "60",
                    "stop"));
        }
    }

    /** Reloads the configuration after {@link #setConfig}. */
    public void reload() throws IOException {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", pgdata.toString(), "reload"));
    }

    /** Appends a setting to postgresql.conf (the last occurrence wins); call {@link #reload()} after. */
    public void setConfig(String key, String value) throws IOException {
        Files.writeString(pgdata.resolve("postgresql.conf"), key + " = " + value + "\n", StandardOpenOption.APPEND);
    }

    public Path pgdata() {
        return pgdata;
    }

    /** The directory of the cluster's Unix socket (libpq's PGHOST for it). */
    public Path socketDirectory() {
        return socketDir;
    }

    public Path bin() {
        return bin;
    }

    public Path pgWal() {
        return pgdata.resolve("pg_wal");
    }

    public int port() {
        return port;
    }

    public Path log() {
        return log;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl());
    }

    /** Runs statements, each in its own autocommit transaction. */
    public void execute(String... statements) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    /** Runs a query and returns the first column of every row as text. */
    public List<String> query(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<String> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
            return rows;
        }
    }

    public String queryOne(String sql) throws SQLException {
        List<String> rows = query(sql);
        if (rows.size() != 1) {
            throw new SQLException("expected one row from '" + sql + "', got " + rows.size());
        }
        return rows.get(0);
    }

    /** The server log so far, for assertion messages. */
    public String logText() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        if (running) {
            running = false;
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", pgdata.toString(), "-m", "immediate", "-w", "-t", "60",
                    "stop"));
        }
    }

    private void run(List<String> command) throws IOException {
        Path output = dir.resolve("command.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
        try {
            if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(command.get(0) + " did not finish within " + COMMAND_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted running " + command.get(0), e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + p.exitValue() + ":\n"
                    + Files.readString(output) + "\n" + logText());
        }
    }

    /** A TCP port nobody listens on right now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
