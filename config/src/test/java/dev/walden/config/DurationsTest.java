package dev.walden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void parsesEachUnit() {
        assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
        assertEquals(Duration.ofSeconds(50), Durations.parse("50s"));
        assertEquals(Duration.ofMinutes(5), Durations.parse(" 5m "));
        assertEquals(Duration.ofHours(1), Durations.parse("1h"));
    }

    @Test
    void refusesZeroUnitlessAndNegative() {
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("0s"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("60"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("-5s"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("5 s"));
    }

    @Test
    void formatsInTheLargestExactUnit() {
        assertEquals("1h", Durations.format(Duration.ofMinutes(60)));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("1500ms", Durations.format(Duration.ofMillis(1500)));
    }
}
