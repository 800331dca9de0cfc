package dev.walden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
    @TempDir
    Path dir;

    private AgentConfig load(String extra) throws Exception {
        Path file = dir.resolve("walden.conf");
        Files.writeString(file, "pgdata = " + dir.resolve("pg") + "\nagent.socket = " + dir.resolve("agent.sock") + "\n"
                + extra);
        return AgentConfig.from(ConfigSource.load(file, true, Map.of()));
    }

    @Test
    void theSocketLimitsDefaultToASaneSize() throws Exception {
        AgentConfig config = load("");
        assertEquals(128, config.maxConnections());
        assertEquals(Duration.ofSeconds(10), config.frameTimeout());
        AgentConfig set = load("agent.max_connections = 200\nagent.frame_timeout = 250ms\n");
        assertEquals(200, set.maxConnections());
        assertEquals(Duration.ofMillis(250), set.frameTimeout());
    }

    @Test
    void outOfRangeLimitsAreRefusedNamingTheKey() {
        Path file = dir.resolve("walden.conf");
        assertEquals("agent.max_connections (" + file + " line 3): 0 is outside 1-65536",
                assertThrows(ConfigException.class, () -> load("agent.max_connections = 0\n")).getMessage());
        assertEquals("agent.frame_timeout (" + file + " line 3): 50ms is outside 100ms-2m",
                assertThrows(ConfigException.class, () -> load("agent.frame_timeout = 50ms\n")).getMessage());
        assertEquals("agent.frame_timeout (" + file + " line 3): 5m is outside 100ms-2m",
                assertThrows(ConfigException.class, () -> load("agent.frame_timeout = 5m\n")).getMessage());
    }
}
