package dev.walden.recovery;

import dev.walden.db.ConnectionSettings;
import dev.walden.db.Database;
import java.io.IOException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/** The physical replication slot a standby built by {@code walden recover --standby} streams through. */
final class ReplicationSlot {
    private ReplicationSlot() {
    }

    /**
     * Creates {@code name} on the primary, reserving WAL from now on, unless a physical slot of that
     * name exists (then it is used as it is); a logical slot of that name is refused.
     *
     * @return whether it was created now (and so is this recovery's to drop if it fails)
     */
    static boolean create(ConnectionSettings primary, String name, PrintWriter out) throws IOException {
        try (Connection c = Database.connect(primary, Duration.ofSeconds(30))) {
            try (PreparedStatement existing = c.prepareStatement(
                    "SELECT slot_type FROM pg_replication_slots WHERE slot_name = ?")) {
                existing.setString(1, name);
                try (ResultSet rs = existing.executeQuery()) {
                    if (rs.next()) {
                        if (!"physical".equals(rs.getString(1))) {
                            throw new RefusedException("replication slot " + name + " exists on the primary and is "
                                    + rs.getString(1) + ", not physical; choose another --slot name");
                        }
                        out.println("using the existing replication slot " + name + " on the primary");
                        return false;
                    }
                }
            }
            try (PreparedStatement create = c.prepareStatement("SELECT pg_create_physical_replication_slot(?, true)")) {
                create.setString(1, name);
                create.execute();
            }
            out.println("created replication slot " + name + " on the primary (drop it with "
                    + "SELECT pg_drop_replication_slot('" + name + "') when the standby is gone: it keeps WAL)");
            return true;
        } catch (SQLException e) {
            throw new IOException("could not create replication slot " + name + " on the primary: "
                    + Database.reason(primary, e), e);
        }
    }

    /** Drops {@code name} on the primary: a slot made for a standby that never started. */
    static void drop(ConnectionSettings primary, String name) throws IOException {
        try (Connection c = Database.connect(primary, Duration.ofSeconds(30));
             PreparedStatement drop = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
            drop.setString(1, name);
            drop.execute();
        } catch (SQLException e) {
            throw new IOException("could not drop replication slot " + name + " on the primary (drop it with "
                    + "SELECT pg_drop_replication_slot('" + name + "')): " + Database.reason(primary, e), e);
        }
    }
}
