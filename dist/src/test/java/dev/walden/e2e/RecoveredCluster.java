package dev.walden.e2e;

import dev.walden.postgres.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

/** A restored data directory started with recovery.signal and restore_command = walden fetch. */
final class RecoveredCluster implements AutoCloseable {
    private final Path bin;
    private final Path pgdata;
    private final Path log;
    private final int port;

    private RecoveredCluster(Path bin, Path pgdata, Path log, int port) {
        this.bin = bin;
        this.pgdata = pgdata;
        this.log = log;
        this.port = port;
    }

    /** Starts {@code pgdata} in archive recovery; waits until it has replayed all archived WAL and promoted. */
    static RecoveredCluster start(Path bin, Path pgdata, String restoreCommand) throws Exception {
        int port = LocalCluster.freePort();
        Path socketDir = Files.createDirectories(pgdata.resolveSibling(pgdata.getFileName() + "-sock"));
        Files.writeString(pgdata.resolve("postgresql.auto.conf"), "\nport = " + port
                + "\nunix_socket_directories = '" + socketDir + "'"
                + "\nlisten_addresses = '127.0.0.1'"
                + "\narchive_mode = off"
                + "\nrestore_command = " + restoreCommand + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Files.createFile(pgdata.resolve("recovery.signal"));
        Path log = pgdata.resolveSibling(pgdata.getFileName() + ".log");
        Installation.Run run = Installation.run(pgdata.getParent(), bin.resolve("pg_ctl").toString(), "-D",
                pgdata.toString(), "-l", log.toString(), "-w", "-t", "120", "start");
        if (run.exit() != 0) {
            throw new IOException("the restored cluster did not start: " + run + "\n" + Files.readString(log));
        }
        RecoveredCluster cluster = new RecoveredCluster(bin, pgdata, log, port);
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while ("t".equals(cluster.query("SELECT pg_is_in_recovery()"))) {
            if (System.nanoTime() > deadline) {
                throw new IOException("still in recovery after 90 s:\n" + cluster.log());
            }
            Thread.sleep(200);
        }
        return cluster;
    }

    String query(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws IOException {
        try {
            Installation.run(pgdata.getParent(), bin.resolve("pg_ctl").toString(), "-D", pgdata.toString(), "-m",
                    "immediate", "-w", "stop");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
