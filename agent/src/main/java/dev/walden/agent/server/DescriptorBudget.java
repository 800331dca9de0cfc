package dev.walden.agent.server;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.walden.config.ConfigKeys;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * The start-up check that this process may open every connection {@code agent.max_connections}
 * admits and still have descriptors for its own work. Without it, a flood of connections takes the
 * last descriptors and archiving itself fails: a WAL file can't be opened, the repository can't be
 * written, and the server's accept loop spins on "too many open files".
 */
public final class DescriptorBudget {
    /**
     * Descriptors kept for everything but the socket's connections: each worker's WAL file,
     * repository file and directory (up to 64 workers), the look-ahead's watch, repository scans,
     * the HTTP endpoint and its clients, a base backup's copying workers and database connection,
     * pg_dump's pipes, and the S3 client's connection pool.
     */
    static final int RESERVE = 512;

    private DescriptorBudget() {
    }

    /** Checks against this process's limit (RLIMIT_NOFILE, as the JVM raised it); skipped where the JVM doesn't say. */
    public static void checkThisProcess(int maxConnections) throws IOException {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof UnixOperatingSystemMXBean unix) {
            check(maxConnections, unix.getOpenFileDescriptorCount(), unix.getMaxFileDescriptorCount());
        }
    }

    /**
     * @param open descriptors the process has open now (the JVM's own: its jars, the log, stdio)
     * @param limit the most descriptors the process may have open
     * @throws IOException when {@code open + maxConnections + RESERVE} exceeds {@code limit}, saying
     *     what to lower or raise
     */
    static void check(int maxConnections, long open, long limit) throws IOException {
        long needed = open + maxConnections + RESERVE;
        if (needed <= limit) {
            return;
        }
        long fits = limit - open - RESERVE;
        throw new IOException(ConfigKeys.AGENT_MAX_CONNECTIONS.name() + " = " + maxConnections + " needs " + needed
                + " file descriptors (" + open + " open now, " + RESERVE + " kept for archiving, look-ahead, "
                + "repository scans, the HTTP endpoint and backups), but this process may open only " + limit
                + " (RLIMIT_NOFILE); " + (fits >= 1 ? "lower " + ConfigKeys.AGENT_MAX_CONNECTIONS.name()
                + " to at most " + fits + " or " : "") + "raise the limit (ulimit -n, systemd: LimitNOFILE=)");
    }
}
