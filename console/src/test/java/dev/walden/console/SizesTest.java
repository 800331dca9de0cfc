package dev.walden.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SizesTest {
    @Test
    void bytesUseBinaryUnitsWithOneDecimal() {
        assertEquals("0 B", Sizes.bytes(0));
        assertEquals("1023 B", Sizes.bytes(1023));
        assertEquals("1.0 KiB", Sizes.bytes(1024));
        assertEquals("16.0 MiB", Sizes.bytes(16L << 20));
        assertEquals("1.4 GiB", Sizes.bytes(1503238553L));
        assertEquals("1.0 MiB", Sizes.bytes((1L << 20) - 1), "never 1024.0 KiB");
        assertEquals("8.0 EiB", Sizes.bytes(Long.MAX_VALUE));
    }

    @Test
    void ratesAndClocks() {
        assertEquals("85.3 MiB/s", Sizes.rate(85.3 * 1048576));
        assertEquals("0:07", Sizes.clock(Duration.ofSeconds(7)));
        assertEquals("12:30", Sizes.clock(Duration.ofSeconds(750)));
        assertEquals("1:05:09", Sizes.clock(Duration.ofSeconds(3909)));
    }
}
