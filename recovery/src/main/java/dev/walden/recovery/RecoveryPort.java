package dev.walden.recovery;

import dev.walden.db.ConnectionSettings;
import dev.walden.postgres.LocalCluster;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The port of a recovered cluster, settled before anything is restored. Never production's: not
 * the port walden and its clients reach production on ({@code DB_PORT}, {@code DATABASE_URL},
 * {@code PGPORT}, libpq's 5432 when none is set), wherever that server runs, since a copy
 * listening there is where a client meant for production could end up writing; and not the port
 * in production's {@code postmaster.pid}, which is the one it really uses on this host (a stale
 * file after a crash names the port it comes back on). Nor a port something listens on here:
 * the copy listens on localhost, so binding it there, as PostgreSQL will, is the test.
 */
public final class RecoveryPort {
    /** The largest TCP port. */
    public static final int MAX= 65535;

    private RecoveryPort() {
    }

    /**
     * Checks {@code requested}, or picks a free port that passes the same checks.
     *
     * @throws RefusedException naming the port and why it can't be the copy's
     */
    static int choose(Optional<Integer> requested, Path productionPgdata, ConnectionSettings production)
            throws IOException {
        if (requested.isPresent()) {
            check(requested.get(), productionPgdata, production);
            return requested.get();
        }
        for (int attempt = 0; ; attempt++) {
            int port = LocalCluster.freePort();
            try {
                check(port, productionPgdata, production);
                return port;
            } catch (RefusedException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    static void check(int port, Path productionPgdata, ConnectionSettings production) throws IOException {
        if (port < 1 || port > MAX) {
            throw new RefusedException("port " + port + " is not a port number (1-" + MAX + ")");
        }
        if (port == production.port()) {
            throw new RefusedException("port " + port + " is production's (DB_PORT, DATABASE_URL or PGPORT, else "
                    + "libpq's 5432); give the recovered cluster a port of its own (--port, or none for a free one)");
        }
        Optional<Integer> running = pidFilePort(productionPgdata.resolve("postmaster.pid"));
        if (running.isPresent() && running.get() == port) {
            throw new RefusedException("port " + port + " is production's (in '" + productionPgdata.resolve(
                    "postmaster.pid") + "'); give the recovered cluster a port of its own (--port, or none for a "
                    + "free one)");
        }
        for (InetAddress address : loopbacks()) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true); // as PostgreSQL does: only a listener is in the way, not TIME_WAIT
                socket.bind(new InetSocketAddress(address, port));
            } catch (BindException e) {
                String why = e.getMessage() == null ? "" : e.getMessage();
                throw new RefusedException(why.contains("in use")
                        ? "port " + port + " is in use on this host; choose another (--port, or none for a free one)"
                        : "the recovered cluster can't listen on port " + port + " (" + why.toLowerCase(
                        java.util.Locale.ROOT) + (port < 1024 ? "; ports below 1024 are privileged" : "")
                        + "); choose another (--port, or none for a free one)");
            }
        }
    }

    /** The port line (the fourth) of a postmaster.pid, when the file is there and has one. */
    static Optional<Integer> pidFilePort(Path pidFile) {
        try {
            List<String> lines = Files.exists(pidFile) ? Files.readAllLines(pidFile) : List.of();
            return lines.size() < 4 ? Optional.empty() : Optional.of(Integer.parseInt(lines.get(3).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty(); // unreadable or being written: the other checks still stand
        }
    }

    /** Where "localhost" puts the copy's listener: 127.0.0.1, and ::1 where this host has IPv6. */
    private static List<InetAddress> loopbacks() throws IOException {
        InetAddress v4 = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        InetAddress v6 = InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        try {
            return NetworkInterface.getByInetAddress(v6) != null ? List.of(v4, v6) : List.of(v4);
        } catch (SocketException e) {
            return List.of(v4);
        }
    }
}
