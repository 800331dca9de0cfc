package dev.walden.agent.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConnectionLimitTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final ConnectionLimit limit = new ConnectionLimit(2, Path.of("/run/walden/agent.sock"), now::get);

    @Test
    void countsConnectionsInAndOut() {
        assertTrue(limit.tryOpen());
        assertTrue(limit.tryOpen());
        assertFalse(limit.tryOpen());
        assertEquals(2, limit.open(), "a refused connection is not counted");
        limit.closed();
        assertTrue(limit.tryOpen());
        assertFalse(limit.tryOpen());
    }

    @Test
    void aFloodOfRefusalsIsLoggedOnceAMinuteWithItsCount() {
        assertEquals(Optional.of("refused a connection: 2 are open, the most agent.max_connections allows (refusals "
                + "are logged at most once a minute)"), limit.refused());
        for (int i = 0; i < 10_000; i++) {
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(5));
            assertEquals(Optional.empty(), limit.refused(), "refusal " + i + ", " + (i + 1) * 5 + " ms later");
        }
        now.addAndGet(TimeUnit.SECONDS.toNanos(11));
        assertEquals(Optional.of("refused 10001 connection(s) in the last 61s: 2 are open, the most "
                + "agent.max_connections allows (refusals are logged at most once a minute)"), limit.refused());
        assertEquals(Optional.empty(), limit.refused());
    }
}
