package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.AuditLog;
import dev.walden.postgres.LocalCluster;
import dev.walden.storage.posix.PosixStorage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * walden check against real servers: a correctly set-up cluster passes and the WAL file it
 * switched to is really in the repository; a server with archive_mode off and no agent fails
 * with a message for each, saying how to fix it, and no WAL switch is attempted; an
 * archive_command that fails is caught even though the agent's look-ahead stores the file.
 */
class CheckIT {
    @TempDir
    Path dir;

    @Test
    void aWorkingSetUpPassesAndTheSwitchedFileIsInTheRepository() throws Exception {
        Path clusterDir = dir.resolve("pg");
        try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
             LocalCluster cluster = walden.initCluster(clusterDir, Map.of())) {
            walden.connectTo(cluster);
            walden.init();
            walden.startAgent();
            cluster.start();
            Installation.Run check = walden.walden("check", "--config", walden.config.toString());
            assertEquals(0, check.exit(), check.toString());
            assertTrue(check.stdout().contains("ok    archive_mode = on"), check.stdout());
            assertTrue(check.stdout().contains("ok    agent answers on " + walden.socket), check.stdout());
            Matcher m = Pattern.compile("ok    WAL (\\w{24}) switched and archived in").matcher(check.stdout());
            assertTrue(m.find(), check.stdout());
            assertTrue(Archiver.lastArchived(cluster).compareTo(m.group(1)) >= 0,
                    "PostgreSQL itself reports the file archived");
            String segment = m.group(1);
            assertTrue(new PosixStorage(walden.repository).list("wal/").stream()
                    .anyMatch(o -> o.name().startsWith(segment + "-")), "the file is in the repository");
            assertTrue(check.stdout().contains("WARN  archive_timeout = 0: a commit on a quiet server reaches the "
                    + "repository only once its 16MB WAL segment is full, which may take hours; set archive_timeout = "
                    + "'1min' (at most '5min') in postgresql.conf and reload PostgreSQL"), check.stdout());
            assertTrue(check.stdout().strip().endsWith("checks passed, 1 warning"), check.stdout());

            cluster.execute("ALTER SYSTEM SET archive_timeout = '10min'", "SELECT pg_reload_conf()");
            Installation.Run tenMinutes = walden.walden("check", "--config", walden.config.toString());
            assertEquals(0, tenMinutes.exit(), "a warning is not a failure: " + tenMinutes);
            assertTrue(tenMinutes.stdout().contains("WARN  archive_timeout = 10min: a commit on a quiet server may "
                    + "wait 10min to reach the repository"), tenMinutes.stdout());
            cluster.execute("ALTER SYSTEM SET archive_timeout = '1min'", "SELECT pg_reload_conf()");
            Installation.Run oneMinute = walden.walden("check", "--config", walden.config.toString(), "--json");
            assertEquals(0, oneMinute.exit(), oneMinute.toString());
            assertTrue(oneMinute.stdout().contains("\"warnings\" : 0"), oneMinute.stdout());
            assertTrue(oneMinute.stderr().contains("ok    archive_timeout = 1min"), oneMinute.stderr());

            // each run is in the audit trail, with what it warned about
            List<AuditLog.Entry> audit = new AuditLog(new PosixStorage(walden.repository)).read(Optional.empty());
            assertEquals(List.of("check", "check", "check"), audit.stream().map(AuditLog.Entry::action).toList());
            assertTrue(audit.stream().allMatch(AuditLog.Entry::ok), audit.toString());
            assertEquals("posix:" + walden.repository, audit.get(0).target());
            assertTrue(audit.get(0).detail().startsWith("all 7 checks passed, 1 warning; warn: archive_timeout = 0: "),
                    audit.get(0).detail());
            assertEquals("all 8 checks passed", audit.get(2).detail());
            assertEquals("command", audit.get(0).trigger());
        }
    }

    @Test
    void archiveModeOffAndNoAgentAreNamedWithTheirFixesAndNothingIsSwitched() throws Exception {
        Path clusterDir = dir.resolve("pg");
        try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
             LocalCluster cluster = walden.initCluster(clusterDir, Map.of("archive_mode", "off"))) {
            walden.connectTo(cluster);
            walden.init();
            cluster.start();
            String before = cluster.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
            Installation.Run check = walden.walden("check", "--config", walden.config.toString());
            assertEquals(1, check.exit(), check.toString());
            assertTrue(check.stdout().contains("FAIL  archive_mode = off: set archive_mode = on in postgresql.conf "
                    + "and restart PostgreSQL"), check.stdout());
            assertTrue(check.stdout().contains("FAIL  agent: ") && check.stdout().contains("start it: walden agent"),
                    check.stdout());
            assertTrue(check.stdout().contains("skip  WAL switch"), check.stdout());
            assertFalse(check.stdout().contains("switched and archived"), check.stdout());
            assertEquals(before, cluster.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())"),
                    "no WAL switch was forced");
            assertTrue(check.stdout().strip().endsWith("2 of 6 checks failed, 1 warning"), check.stdout());
            List<AuditLog.Entry> audit = new AuditLog(new PosixStorage(walden.repository)).read(Optional.empty());
            assertEquals(1, audit.size(), audit.toString());
            assertFalse(audit.get(0).ok());
            assertTrue(audit.get(0).detail().contains("fail: archive_mode = off"), audit.get(0).detail());
        }
    }

    @Test
    void aFailingArchiveCommandFailsTheCheckEvenThoughLookAheadStoredTheFile() throws Exception {
        Path clusterDir = dir.resolve("pg");
        // walden-push with a config file that isn't there: it exits 2 for every file, while the
        // agent (look-ahead) stores each file PostgreSQL marks ready all the same
        String broken = LocalCluster.quote("\"" + Installation.HOME.resolve("bin/walden-push") + "\" --config \""
                + dir.resolve("no-such.conf") + "\" %p");
        try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
             LocalCluster cluster = walden.initCluster(clusterDir, Map.of("archive_command", broken))) {
            walden.connectTo(cluster);
            walden.init();
            walden.startAgent();
            cluster.start();
            Installation.Run check = walden.walden("check", "--config", walden.config.toString(), "--timeout", "10s");
            assertEquals(1, check.exit(), check.toString());
            Matcher m = Pattern.compile("FAIL  WAL (\\w{24}) reached the repository \\(the agent stored it ahead\\), "
                    + "but PostgreSQL did not report it archived within 10s; PostgreSQL's archive_command failed \\d+ "
                    + "time\\(s\\) meanwhile").matcher(check.stdout());
            assertTrue(m.find(), check.stdout());
            String segment = m.group(1);
            assertTrue(new PosixStorage(walden.repository).list("wal/").stream()
                    .anyMatch(o -> o.name().startsWith(segment + "-")), "look-ahead stored the file");
            assertTrue(Archiver.failedCount(cluster) > 0, "PostgreSQL's archive_command really failed");
        }
    }
}
