package dev.walden.agent.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.Agent;
import dev.walden.agent.AgentConfig;
import dev.walden.agent.FakePgdata;
import dev.walden.db.ConnectionSettings;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.storage.FaultInjectingStorage;
import dev.walden.storage.MemoryStorage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The health verdict when the repository hangs: the probe is stuck, the verdict must not be. */
class HealthProbeTest {
    @TempDir
    Path dir;
    FaultInjectingStorage storage;
    Agent agent;

    @AfterEach
    void tearDown() throws IOException {
        storage.release();
        agent.close();
    }

    @Test
    void aRepositoryThatHangsMakesTheAgentUnhealthyInsteadOfKeepingTheLastVerdict() throws Exception {
        FakePgdata pg = new FakePgdata(dir);
        storage = new FaultInjectingStorage(new MemoryStorage());
        Repository.create(storage, FakePgdata.CLUSTER, Clock.systemUTC());
        agent = Agent.start(new AgentConfig(pg.pgdata, pg.pgWal, dir.resolve("agent.sock"), Optional.empty(), 1, 64,
                Duration.ofSeconds(5), Duration.ofSeconds(5), Compression.NONE, 0, false), storage, Clock.systemUTC());
        ConnectionSettings nowhere = ConnectionSettings.resolve(Map.of("PGHOST", dir.resolve("none").toString(),
                "PGUSER", "postgres"), Map.of(), "nobody");
        HealthProbe health = new HealthProbe(agent, new DatabaseProbe(nowhere, Clock.systemUTC()));
        health.probe();
        assertFalse(health.health().reason().contains("did not answer within"), health.health().reason());

        storage.stallReads();
        Thread stuck = new Thread(health::probe, "stuck-probe");
        stuck.setDaemon(true);
        stuck.start();
        long deadline = System.nanoTime() + HealthProbe.STALLED_AFTER.plusSeconds(10).toNanos();
        while (!health.health().reason().contains("did not answer within")) {
            assertTrue(System.nanoTime() < deadline, "still: " + health.health().reason());
            Thread.sleep(100);
        }
        assertFalse(health.health().healthy());
        assertTrue(stuck.isAlive(), "the probe itself is still waiting for the repository");
        storage.release();
        stuck.join(10_000);
        assertFalse(health.health().reason().contains("did not answer within"), "a probe that returns decides again");
    }
}
