package dev.walden.agent.server;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.config.ConfigKeys;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class DescriptorBudgetTest {
    private static final int DEFAULT = Integer.parseInt(ConfigKeys.AGENT_MAX_CONNECTIONS.defaultValue());

    @Test
    void theDefaultFitsTheCommonestLimitWithTheJvmsOwnFilesOpen() {
        // 1024 is the soft limit most shells and systemd give; the agent's JVM has about 100 files open at start
        assertDoesNotThrow(() -> DescriptorBudget.check(DEFAULT, 150, 1024));
    }

    @Test
    void tooManyConnectionsForTheLimitIsRefusedSayingWhatFits() {
        IOException e = assertThrows(IOException.class, () -> DescriptorBudget.check(600, 100, 1024));
        assertEquals("agent.max_connections = 600 needs 1212 file descriptors (100 open now, 512 kept for archiving, "
                + "look-ahead, repository scans, the HTTP endpoint and backups), but this process may open only 1024 "
                + "(RLIMIT_NOFILE); lower agent.max_connections to at most 412 or raise the limit (ulimit -n, systemd: "
                + "LimitNOFILE=)", e.getMessage());
        assertDoesNotThrow(() -> DescriptorBudget.check(412, 100, 1024));
    }

    @Test
    void aLimitTooLowForAnyConnectionSaysOnlyToRaiseIt() {
        IOException e = assertThrows(IOException.class, () -> DescriptorBudget.check(1, 100, 256));
        assertTrue(e.getMessage().endsWith("(RLIMIT_NOFILE); raise the limit (ulimit -n, systemd: "
                + "LimitNOFILE=)"), e.getMessage());
    }
}
