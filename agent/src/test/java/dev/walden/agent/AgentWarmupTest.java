package dev.walden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.repo.Compression;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentWarmupTest {
    @TempDir
    Path dir;

    @Test
    void warmsEveryCompressorOnADaemonThreadOfLowestPriorityThatEndsEvenWithNoOneListening()
            throws InterruptedException {
        for (Compression compression : Compression.values()) {
            Thread thread = AgentWarmup.start(dir.resolve("no-agent.sock"), compression, compression.defaultLevel());
            assertTrue(thread.isDaemon(), "never keeps the agent's JVM from exiting");
            assertEquals(Thread.MIN_PRIORITY, thread.getPriority());
            thread.join(30_000);
            assertFalse(thread.isAlive(), compression + ": the warm-up ended");
        }
    }
}
