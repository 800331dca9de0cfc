package dev.walden.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private final StringWriter text = new StringWriter();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private ProgressBar bar(long items, String unit, long bytes, Terminal mode) {
        return new ProgressBar(new PrintWriter(text), "restoring", items, unit, bytes, mode, now::get);
    }

    private void seconds(long s) {
        now.addAndGet(Duration.ofSeconds(s).toNanos());
    }

    @Test
    void linesShowBytesRateAndEtaAtMostEveryInterval() {
        ProgressBar bar = bar(4, "files", 400L << 20, Terminal.LINES);
        bar.advance(100L << 20);
        assertEquals("", text.toString(), "nothing before the first interval");
        seconds(10);
        bar.advance(100L << 20);
        assertEquals("restoring [##########..........]  50%  2/4 files, 200.0 MiB of 400.0 MiB, 20.0 MiB/s, ETA 0:10"
                + System.lineSeparator(), text.toString());
        bar.advance(50L << 20);
        assertEquals(1, text.toString().lines().count(), "no second line within the interval");
        seconds(10);
        bar.advance(150L << 20);
        assertEquals("restoring [####################] 100%  4/4 files, 400.0 MiB of 400.0 MiB in 0:20 (20.0 MiB/s)",
                text.toString().lines().reduce((a, b) -> b).orElseThrow());
        bar.finish();
        assertEquals(2, text.toString().lines().count(), "the final line is printed once");
    }

    @Test
    void aShortPhasePrintsOnlyItsFinalLine() {
        ProgressBar bar = bar(2, "tables", 0, Terminal.LINES);
        bar.advance(0);
        bar.advance(0);
        assertEquals("restoring [####################] 100%  2/2 tables in 0:00" + System.lineSeparator(), text.toString());
    }

    @Test
    void theLastItemEndsThePhaseAtAHundredPercentWhenItemsHeldLessThanExpected() {
        ProgressBar bar = bar(2, "objects", 2L << 20, Terminal.LINES);
        bar.advance(1L << 20);
        bar.advance(0); // an object that could not be read
        assertEquals("restoring [####################] 100%  2/2 objects, 1.0 MiB of 2.0 MiB in 0:00"
                + System.lineSeparator(), text.toString());
        bar.finish();
        assertEquals(1, text.toString().lines().count(), "the final line is printed once");
    }

    @Test
    void anUnknownTotalShowsWhatWasDoneAndTheRateWithoutBarOrEta() {
        ProgressBar bar = bar(0, "", 0, Terminal.LINES);
        seconds(10);
        bar.add(3L << 30, 0);
        String line = text.toString().strip();
        assertEquals("restoring:  3.0 GiB, 307.2 MiB/s", line);
        assertFalse(line.contains("ETA"));
        bar.finish();
        assertTrue(text.toString().strip().endsWith("restoring:  3.0 GiB in 0:10 (307.2 MiB/s)"), text.toString());
    }

    @Test
    void aTerminalRedrawsInPlaceAndEndsWithANewline() {
        ProgressBar bar = bar(0, "", 100, Terminal.BAR);
        seconds(1);
        bar.add(10, 0);
        seconds(1);
        bar.add(90, 0);
        String out = text.toString();
        assertEquals(2, out.chars().filter(c -> c == '\r').count(), out);
        assertTrue(out.endsWith("\n"), "the finished bar leaves the cursor on a new line");
        assertFalse(out.substring(0, out.length() - 1).contains("\n"), "no newline before the end: " + out);
    }

    @Test
    void offPrintsNothing() {
        ProgressBar bar = bar(1, "files", 10, Terminal.OFF);
        bar.advance(10);
        bar.finish();
        assertEquals("", text.toString());
    }

    @Test
    void theEnvironmentOverridesTheGuess() {
        assertEquals(Terminal.OFF, Terminal.detect(java.util.Map.of("WALDEN_PROGRESS", "off"), true));
        assertEquals(Terminal.BAR, Terminal.detect(java.util.Map.of("WALDEN_PROGRESS", "bar"), false));
        assertEquals(Terminal.LINES, Terminal.detect(java.util.Map.of(), false));
        assertEquals(Terminal.BAR, Terminal.detect(java.util.Map.of("WALDEN_PROGRESS", "sideways"), true));
    }
}
