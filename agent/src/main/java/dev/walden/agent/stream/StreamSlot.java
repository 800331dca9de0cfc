package dev.walden.agent.stream;

import dev.walden.wal.Lsn;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The agent's physical replication slot, read, made and dropped over an ordinary connection.
 * The slot keeps WAL the agent has not confirmed; PostgreSQL 13 and later may give up on it
 * ({@code max_slot_wal_keep_size}), which {@code wal_status = 'lost'} says.
 */
public final class StreamSlot {
    /**
     * The slot as pg_replication_slots shows it.
     *
     * @param walStatus reserved, extended, unreserved or lost; empty before PostgreSQL 13
     * @param restartLsn the oldest WAL the slot keeps; empty when it keeps none
     * @param retainedBytes WAL kept for it, from restart_lsn to the server's position; -1 unknown
     * @param activePid the process streaming from it, 0 when none
     */
    public record Info(String type, String walStatus, Optional<Lsn> restartLsn, long retainedBytes, int activePid) {
        public boolean lost() {
            return walStatus.equals("lost");
        }
    }

    private StreamSlot() {
    }

    /** The slot named {@code name}, if there is one. */
    public static Optional<Info> inspect(Connection c, String name) throws SQLException {
        boolean hasStatus = c.getMetaData().getDatabaseMajorVersion() >= 13;
        String sql = "SELECT slot_type, " + (hasStatus ? "coalesce(wal_status, '')" : "''") + ", restart_lsn::text, "
                + "CASE WHEN pg_is_in_recovery() OR restart_lsn IS NULL THEN -1 "
                + "ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint END, coalesce(active_pid, 0) "
                + "FROM pg_replication_slots WHERE slot_name = ?";
        try (PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, name);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String restart = rs.getString(3);
                return Optional.of(new Info(rs.getString(1), rs.getString(2),
                        Optional.ofNullable(restart).map(Lsn::parse), rs.getLong(4), rs.getInt(5)));
            }
        }
    }

    /** Creates the slot, reserving WAL from now on; returns where it starts. */
    public static Lsn create(Connection c, String name) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT lsn::text FROM pg_create_physical_replication_slot(?, true)")) {
            st.setString(1, name);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return Lsn.parse(rs.getString(1));
            }
        }
    }

    /**
     * Drops the slot; false when there was none.
     *
     * @throws IOException when it is in use, naming the process that streams from it
     */
    public static boolean drop(Connection c, String name) throws SQLException, IOException {
        Optional<Info> info = inspect(c, name);
        if (info.isEmpty()) {
            return false;
        }
        if (info.get().activePid() != 0) {
            throw new IOException("replication slot " + name + " is in use by process " + info.get().activePid()
                    + " (a running walden agent with agent.stream = on?); stop it first");
        }
        try (PreparedStatement st = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
            st.setString(1, name);
            st.execute();
        }
        return true;
    }
}
