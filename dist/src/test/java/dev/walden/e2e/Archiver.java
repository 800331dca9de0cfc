package dev.walden.e2e;

import dev.walden.postgres.LocalCluster;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Drives and watches PostgreSQL's archiver through SQL. */
final class Archiver {
    private Archiver() {
    }

    /** Writes some rows and switches to a new segment, {@code n} times; returns the finished segments. */
    static List<String> switchSegments(LocalCluster cluster, int n) throws SQLException {
        cluster.execute("CREATE TABLE IF NOT EXISTS filler (id bigserial, payload text)");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            cluster.execute("INSERT INTO filler (payload) SELECT md5(g::text) FROM generate_series(1, 2000) g");
            names.add(cluster.queryOne("SELECT pg_walfile_name(pg_switch_wal())"));
        }
        return names;
    }

    static long archivedCount(LocalCluster cluster) throws SQLException {
        return Long.parseLong(cluster.queryOne("SELECT archived_count FROM pg_stat_archiver"));
    }

    static long failedCount(LocalCluster cluster) throws SQLException {
        return Long.parseLong(cluster.queryOne("SELECT failed_count FROM pg_stat_archiver"));
    }

    static String lastArchived(LocalCluster cluster) throws SQLException {
        return cluster.queryOne("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
    }

    /** Waits until PostgreSQL reports {@code segment} (or a later file) archived. */
    static void awaitArchived(LocalCluster cluster, String segment, Duration timeout)
            throws SQLException, InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lastArchived(cluster).compareTo(segment) < 0) {
            if (System.nanoTime() > deadline) {
                throw new IOException("PostgreSQL did not archive " + segment + " within " + timeout
                        + "; last archived " + lastArchived(cluster) + ", failures " + failedCount(cluster) + "\n"
                        + cluster.logText());
            }
            Thread.sleep(100);
        }
    }

    /** Waits until failed_count exceeds {@code than}. */
    static void awaitFailures(LocalCluster cluster, long than, Duration timeout)
            throws SQLException, InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (failedCount(cluster) <= than) {
            if (System.nanoTime() > deadline) {
                throw new IOException("failed_count stayed at " + than + " for " + timeout);
            }
            Thread.sleep(100);
        }
    }
}
