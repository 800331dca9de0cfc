package dev.walden.backup;

import dev.walden.db.ConnectionSettings;
import dev.walden.db.Database;
import dev.walden.wal.Lsn;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The SQL side of a non-exclusive base backup: one session that stays open from
 * {@code pg_backup_start} to {@code pg_backup_stop} (PostgreSQL aborts the backup when the session
 * ends), with the function names and arguments of each major version.
 */
public final class BackupSession implements AutoCloseable {
    private final Connection connection;
    private final ServerInfo server;
    private boolean started;

    /** What the server says about itself. */
    public record ServerInfo(int versionNum, String version, long systemIdentifier, boolean dataChecksums,
                             int walSegmentSize, boolean inRecovery, String dataDirectory, int blockSize,
                             long segmentBlocks) {
        public int major() {
            return versionNum / 10000;
        }
    }

    /** What pg_backup_stop returns: the stop location and the two files to store with the backup. */
    public record StopResult(Lsn lsn, String labelFile, String tablespaceMap, int timeline) {
    }

    private BackupSession(Connection connection, ServerInfo server) {
        this.connection = connection;
        this.server = server;
    }

    public static BackupSession open(ConnectionSettings settings) throws IOException {
        try {
            Connection c = Database.connect(settings);
            try (Statement s = c.createStatement()) {
                // the session must outlive the copy: no server-side timeout may end it
                s.execute("SET statement_timeout = 0");
                s.execute("SET idle_in_transaction_session_timeout = 0");
                try (ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int, "
                        + "current_setting('server_version'), (SELECT system_identifier FROM pg_control_system()), "
                        + "current_setting('data_checksums') = 'on', "
                        + "(SELECT setting::int8 FROM pg_settings WHERE name = 'wal_segment_size'), "
                        + "pg_is_in_recovery(), current_setting('data_directory'), "
                        + "current_setting('block_size')::int, "
                        + "(SELECT setting::int8 FROM pg_settings WHERE name = 'segment_size')")) {
                    rs.next();
                    ServerInfo info = new ServerInfo(rs.getInt(1), rs.getString(2), rs.getLong(3), rs.getBoolean(4),
                            (int) rs.getLong(5), rs.getBoolean(6), rs.getString(7), rs.getInt(8), rs.getLong(9));
                    if (info.major() >= 14) {
                        s.execute("SET idle_session_timeout = 0");
                    }
                    return new BackupSession(c, info);
                }
            } catch (SQLException | RuntimeException e) {
                c.close();
                throw e;
            }
        } catch (SQLException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    public ServerInfo server() {
        return server;
    }

    /** Starts the backup; {@code fast} requests an immediate checkpoint. Returns the start LSN. */
    public Lsn start(String label, boolean fast) throws IOException {
        String sql = server.major() >= 15 ? "SELECT pg_backup_start(?, ?)"
                : "SELECT pg_start_backup(?, ?, false)"; // 13-14: false = non-exclusive, never the default
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, label);
            ps.setBoolean(2, fast);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                started = true;
                return Lsn.parse(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new IOException("pg_backup_start failed: " + e.getMessage(), e);
        }
    }

    /**
     * Stops the backup without waiting for WAL archiving (walden checks the archive itself, with
     * a timeout, instead of PostgreSQL's wait that has none).
     */
    public StopResult stop() throws IOException {
        String sql = server.major() >= 15 ? "SELECT lsn, labelfile, spcmapfile FROM pg_backup_stop(false)"
                : "SELECT lsn, labelfile, spcmapfile FROM pg_stop_backup(false, false)";
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            Lsn lsn = Lsn.parse(rs.getString(1));
            String label = rs.getString(2);
            String map = rs.getString(3);
            started = false;
            return new StopResult(lsn, label, map == null ? "" : map, timeline(s));
        } catch (SQLException e) {
            throw new IOException("pg_backup_stop failed: " + e.getMessage(), e);
        }
    }

    /** The timeline of the server's latest checkpoint. */
    public int timeline() throws IOException {
        try (Statement s = connection.createStatement()) {
            return timeline(s);
        } catch (SQLException e) {
            throw new IOException("reading the server's timeline: " + e.getMessage(), e);
        }
    }

    private static int timeline(Statement s) throws SQLException {
        try (ResultSet t = s.executeQuery("SELECT timeline_id FROM pg_control_checkpoint()")) {
            t.next();
            return t.getInt(1);
        }
    }

    /** Ends the session; a backup still started is aborted by PostgreSQL with it. */
    @Override
    public void close() throws IOException {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new IOException("closing the backup session: " + e.getMessage(), e);
        }
    }

    public boolean started() {
        return started;
    }
}
