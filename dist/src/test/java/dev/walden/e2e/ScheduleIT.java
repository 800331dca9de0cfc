package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.DumpCatalog;
import dev.walden.postgres.LocalCluster;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.posix.PosixStorage;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's daily schedule: a run missed while the agent was down happens once when it is back. */
class ScheduleIT {
    @TempDir
    Path dir;

    @Test
    void aMissedRunCatchesUpOnceWhenTheAgentStarts() throws Exception {
        Path clusterDir = dir.resolve("pg");
        try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
             LocalCluster cluster = walden.initCluster(clusterDir, Map.of())) {
            walden.connectTo(cluster);
            walden.init();
            cluster.start();
            // the agent last ran its jobs two days ago, so at least one 02:00 run was missed
            PosixStorage storage = new PosixStorage(walden.repository);
            try (ObjectWriter w = storage.write("state/schedule.json")) {
                w.stream().write(("{\"last_run\":\"" + Instant.now().minus(Duration.ofDays(2)) + "\"}").getBytes());
                w.commit();
            }
            walden.configure("schedule = 0 2 * * *", "dump.databases = postgres");
            walden.startAgent();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while ((new BackupCatalog(storage).list().stream().noneMatch(BackupCatalog.Entry::usable)
                    || new DumpCatalog(storage).latest("postgres").isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(500);
            }
            assertTrue(new BackupCatalog(storage).list().stream().anyMatch(BackupCatalog.Entry::usable),
                    walden.agentLog());
            assertTrue(new DumpCatalog(storage).latest("postgres").isPresent(), walden.agentLog());
            long deadlineExpire = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!walden.agentLog().contains("expired ") && System.nanoTime() < deadlineExpire) {
                Thread.sleep(200);
            }
            assertTrue(walden.agentLog().contains("missed"), walden.agentLog());
            assertTrue(walden.agentLog().contains("expired "), "expiry runs after the backup: " + walden.agentLog());
            Installation.Run status = walden.walden("status", "--config", walden.config.toString());
            assertEquals(0, status.exit(), status.toString());
            assertTrue(status.stdout().contains("next_scheduled_run"), status.stdout());
            assertEquals(1, new BackupCatalog(storage).list().size(), "caught up once, not once per missed day");
            assertTrue(new DumpCatalog(storage).list(Optional.of("postgres")).size() == 1);
        }
    }
}
