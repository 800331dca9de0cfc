package dev.walden.agent.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.SetClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StreamStateTest {
    @Test
    void lagIsHowLongAgoEverythingTheServerHadWrittenWasStored() {
        SetClock clock = new SetClock(Instant.parse("2026-12-07T04:00:00Z"));
        StreamState state = new StreamState("walden_1", clock);
        state.connected(1);
        state.probed(1000, "reserved", 1000);
        state.stored(1000);
        assertEquals(0, state.lagSeconds());
        assertEquals(0, state.lagBytes());
        clock.advance(Duration.ofSeconds(1));
        state.probed(5000, "reserved", 5000); // written since, not stored
        clock.advance(Duration.ofSeconds(2));
        state.probed(9000, "reserved", 9000);
        assertEquals(4000 + 4000, state.lagBytes());
        assertEquals(3.0, state.lagSeconds(), "everything was last stored 3 s ago");
        state.stored(5000); // what the server had 2 s ago
        assertEquals(2.0, state.lagSeconds());
        state.stored(9000);
        assertEquals(0, state.lagSeconds());
    }

    @Test
    void aQuietServerStreamedToItsEndHasNoLagHoweverOldItsLastCommit() {
        SetClock clock = new SetClock(Instant.parse("2026-12-07T04:00:00Z"));
        StreamState state = new StreamState("walden_1", clock);
        state.connected(1);
        state.stored(1000);
        for (int i = 0; i < 100; i++) {
            clock.advance(Duration.ofSeconds(1));
            state.probed(1000, "reserved", 0);
        }
        assertEquals(0, state.lagSeconds());
    }

    @Test
    void aStreamDisconnectedForAMinuteMakesTheAgentUnhealthyAndAnInvalidationIsAWarningForAnHour() {
        SetClock clock = new SetClock(Instant.parse("2026-12-07T04:00:00Z"));
        StreamState state = new StreamState("walden_1", clock);
        state.connected(1);
        state.disconnected("connection refused");
        clock.advance(Duration.ofSeconds(59));
        assertTrue(state.problem().isEmpty());
        clock.advance(Duration.ofSeconds(2));
        assertTrue(state.problem().orElseThrow().contains("disconnected since 2026-12-07T04:00:00Z: connection refused"),
                state.problem().orElseThrow());
        assertTrue(state.lagSeconds() >= 61);
        state.connected(1);
        assertTrue(state.problem().isEmpty());
        state.invalidated("wal_status lost");
        assertTrue(state.warning().orElseThrow().startsWith("replication slot walden_1 was invalidated"));
        clock.advance(Duration.ofMinutes(61));
        assertTrue(state.warning().isEmpty());
    }
}
