package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.postgres.LocalCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator sees, on real PostgreSQL 15 with the agent running: {@code --json} on the data
 * commands, progress on stderr when stdout carries JSON, the audit trail of backups, dumps,
 * expiry, restores and verification with the OS user, structured agent log lines, and no secret from the
 * environment anywhere in what walden printed or logged, even at debug level and on failures.
 */
class OperatorOutputIT {
    private static final String PG_SECRET = "Pg-Sekr3t-0f-the-day";
    private static final String AWS_SECRET = "Aws-Sekr3t-wJalrXUtnFEMI";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void versionNamesTheReleaseCommitRuntimeAndArchiveModuleMajors() throws Exception {
        Installation.Run version = Installation.run(dir, Installation.HOME.resolve("bin/walden").toString(),
                "--version");
        assertEquals(0, version.exit(), version.toString());
        String[] lines = version.stdout().split("\n");
        assertTrue(lines[0].matches("walden \\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.]+)? \\(commit [0-9a-f]{12}(-dirty)?\\)|"
                + "walden \\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.]+)? \\(commit unknown\\)"), lines[0]);
        assertTrue(lines[1].startsWith("runtime: Java " + Runtime.version().feature()), lines[1]);
        List<String> built = new ArrayList<>();
        try (var dirs = java.nio.file.Files.list(Installation.HOME.resolve("lib/postgresql"))) {
            dirs.filter(d -> java.nio.file.Files.exists(d.resolve("walden_archive.so")))
                    .map(d -> d.getFileName().toString()).sorted().forEach(built::add);
        } catch (java.nio.file.NoSuchFileException e) {
            // no archive module built here
        }
        assertEquals("archive module (archive_library) built for PostgreSQL: "
                + (built.isEmpty() ? "none" : String.join(", ", built)), lines[2]);
    }

    @Test
    void jsonOutputAuditTrailStructuredLogsAndNoSecrets() throws Exception {
        Path clusterDir = dir.resolve("pg");
        List<Installation.Run> runs = new ArrayList<>();
        String agentLog;
        try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
             LocalCluster cluster = walden.initCluster(clusterDir, Map.of())) {
            walden.connectTo(cluster);
            // secrets a careless log line could print; the socket connection needs no password
            walden.environment(Map.of("PGPASSWORD", PG_SECRET, "AWS_SECRET_ACCESS_KEY", AWS_SECRET,
                    "WALDEN_LOG_LEVEL", "debug", "WALDEN_PROGRESS", "lines"));
            walden.init();
            walden.startAgent();
            cluster.start();
            cluster.execute("CREATE TABLE orders (id int PRIMARY KEY, note text)",
                    "INSERT INTO orders SELECT g, 'order ' || g FROM generate_series(1, 500) g");
            String config = walden.config.toString();

            Installation.Run backup = walden.walden("backup", "--config", config, "--json");
            runs.add(backup);
            assertEquals(0, backup.exit(), backup.toString());
            JsonNode b = JSON.readTree(backup.stdout());
            assertEquals("complete", b.get("status").asText(), backup.stdout());
            assertTrue(b.get("files").asInt() > 100, backup.stdout());
            assertTrue(backup.stderr().contains("copying [####################] 100%"),
                    "the progress bar (relayed by the agent) goes to stderr: " + backup.stderr());

            Installation.Run dump = walden.walden("dump", "--config", config, "--json");
            runs.add(dump);
            assertEquals(0, dump.exit(), dump.toString());
            JsonNode d = JSON.readTree(dump.stdout()).get("dumps").get(0);
            assertTrue(d.get("ok").asBoolean(), dump.stdout());
            assertTrue(d.get("original_bytes").asLong() > 1000, dump.stdout());
            assertTrue(dump.stderr().contains("dumping postgres:"), dump.stderr());

            Installation.Run failedDump = walden.walden("dump", "--config", config, "-d", "no_such_db", "--json");
            runs.add(failedDump);
            assertEquals(1, failedDump.exit(), failedDump.toString());
            assertFalse(JSON.readTree(failedDump.stdout()).get("dumps").get(0).get("ok").asBoolean());

            Installation.Run restore = walden.walden("restore", "--config", config, "latest", "-d", "orders_copy",
                    "--json");
            runs.add(restore);
            assertEquals(0, restore.exit(), restore.toString());
            JsonNode r = JSON.readTree(restore.stdout());
            assertEquals("orders_copy", r.get("database").asText());
            assertEquals(500, r.get("rows_compared").asLong(), restore.stdout());

            Installation.Run expire = walden.walden("expire", "--config", config, "--json");
            runs.add(expire);
            assertEquals(0, expire.exit(), expire.toString());
            assertFalse(JSON.readTree(expire.stdout()).get("dry_run").asBoolean());

            Installation.Run verify = walden.walden("verify", "--config", config, "--json");
            runs.add(verify);
            assertEquals(0, verify.exit(), verify.toString());
            assertTrue(JSON.readTree(verify.stdout()).get("healthy").asBoolean(), verify.stdout());
            assertTrue(verify.stderr().contains("verifying [####################] 100%"), verify.stderr());

            Installation.Run status = walden.walden("status", "--config", config, "--json");
            runs.add(status);
            assertEquals(0, status.exit(), status.toString());
            assertTrue(JSON.readTree(status.stdout()).get("archived_count").asLong() > 0, status.stdout());

            Installation.Run check = walden.walden("check", "--config", config, "--json");
            runs.add(check);
            assertEquals(0, check.exit(), check.toString());
            JsonNode checks = JSON.readTree(check.stdout());
            assertEquals(0, checks.get("failed").asInt(), check.stdout());
            assertTrue(checks.get("checks").size() >= 6, check.stdout());
            assertTrue(check.stderr().contains("checks passed"), "the lines for people went to stderr");

            Installation.Run audit = walden.walden("audit", "--config", config, "--json");
            runs.add(audit);
            assertEquals(0, audit.exit(), audit.toString());
            List<String> seen = new ArrayList<>();
            String user = System.getProperty("user.name");
            for (JsonNode e : JSON.readTree(audit.stdout()).get("entries")) {
                seen.add(e.get("action").asText() + " " + e.get("target").asText() + " " + e.get("result").asText());
                assertEquals(user, e.get("user").asText(), "the OS user who ran it: " + e);
                assertTrue(e.get("duration_seconds").asDouble() >= 0, e.toString());
            }
            assertEquals(List.of("backup " + b.get("label").asText() + " ok", "dump postgres ok",
                    "dump no_such_db failed", "restore orders_copy on " + restoreTarget(restore) + " ok"),
                    seen.subList(0, 4), audit.stdout());
            assertTrue(seen.get(4).startsWith("expire posix:") && seen.get(4).endsWith(" ok"), seen.toString());
            assertTrue(seen.get(5).startsWith("verify posix:") && seen.get(5).endsWith(" ok"), seen.toString());
            assertEquals("check posix:" + walden.repository + " ok", seen.get(6), "walden check is audited too");
            JsonNode first = JSON.readTree(audit.stdout()).get("entries").get(0);
            assertTrue(first.get("trigger").asText().startsWith("walden backup by " + user),
                    "the agent records who asked for the backup: " + first);

            Installation.Run text = walden.walden("audit", "--config", config, "--since", "1h");
            runs.add(text);
            assertEquals(0, text.exit(), text.toString());
            assertEquals(7, text.stdout().lines().count(), text.stdout());
            assertTrue(text.stdout().lines().allMatch(l -> l.contains(" by " + user + "@")), text.stdout());

            walden.stopAgent();
            agentLog = walden.agentLog();
        }
        List<String> lines = agentLog.lines().filter(l -> !l.isBlank()).toList();
        assertFalse(lines.isEmpty());
        for (String line : lines) {
            assertTrue(line.matches("time=\\S+ level=(DEBUG|INFO|WARN|ERROR) logger=\\S+ msg=\".*"),
                    "one structured line per event: " + line);
        }
        assertTrue(agentLog.contains("msg=\"audit: backup "), agentLog);
        StringBuilder everything = new StringBuilder(agentLog);
        runs.forEach(run -> everything.append(run.stdout()).append(run.stderr()));
        assertFalse(everything.toString().contains(PG_SECRET), "the database password was printed or logged");
        assertFalse(everything.toString().contains(AWS_SECRET), "the cloud secret was printed or logged");
    }

    /** Where restore says the copy is: the URL it printed, without a password. */
    private static String restoreTarget(Installation.Run restore) throws Exception {
        return JSON.readTree(restore.stdout()).get("connection").asText();
    }
}
