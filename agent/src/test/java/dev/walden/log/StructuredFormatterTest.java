package dev.walden.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.config.Secrets;
import java.io.IOException;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class StructuredFormatterTest {
    private static LogRecord record(Level level, String message, Throwable thrown) {
        LogRecord r = new LogRecord(level, message);
        r.setInstant(Instant.parse("2026-12-01T03:15:00.250Z"));
        r.setLoggerName("dev.walden.agent.ArchiveDispatcher");
        r.setThrown(thrown);
        return r;
    }

    @Test
    void textIsOneLogfmtLinePerEvent() {
        String line = new StructuredFormatter(StructuredFormatter.Style.TEXT, false)
                .format(record(Level.WARNING, "refused \"x\"\nsecond line", new IOException("disk full")));
        assertEquals("time=2026-12-01T03:15:00.250Z level=WARN logger=agent.ArchiveDispatcher "
                + "msg=\"refused \\\"x\\\"\\nsecond line\" error=\"java.io.IOException: disk full\"" + System.lineSeparator(), line);
    }

    @Test
    void jsonIsOneObjectPerLineWithTheStackOnlyAtDebug() throws Exception {
        StructuredFormatter debug = new StructuredFormatter(StructuredFormatter.Style.JSON, true);
        String line = debug.format(record(Level.SEVERE, "internal error", new IllegalStateException("boom")));
        assertEquals(1, line.lines().count(), line);
        JsonNode json = new ObjectMapper().readTree(line);
        assertEquals("ERROR", json.get("level").asText());
        assertEquals("internal error", json.get("msg").asText());
        assertTrue(json.get("stack").asText().contains("StructuredFormatterTest"), line);
        String info = new StructuredFormatter(StructuredFormatter.Style.JSON, false)
                .format(record(Level.SEVERE, "internal error", new IllegalStateException("boom")));
        assertFalse(new ObjectMapper().readTree(info).has("stack"));
    }

    @Test
    void secretsNeverReachALine() {
        Secrets.register("correct-horse-battery");
        String line = new StructuredFormatter(StructuredFormatter.Style.TEXT, true).format(record(Level.INFO,
                "connecting to postgres://app:hunter22@db:5432/app with password=s3cr3t-value, key correct-horse-battery",
                new IOException("auth failed for correct-horse-battery")));
        assertFalse(line.contains("hunter22"), line);
        assertFalse(line.contains("s3cr3t-value"), line);
        assertFalse(line.contains("correct-horse-battery"), line);
        assertTrue(line.contains("postgres://app:***@db:5432/app"), line);
    }

    @Test
    void levelsAndFormatsAreCheckedWithTheAcceptedValuesNamed() {
        assertEquals(Level.FINE, LogSetup.level("debug"));
        assertEquals(Level.WARNING, LogSetup.level("WARN"));
        assertEquals("'loud' is not a log level (debug, info, warn or error)",
                assertThrows(IllegalArgumentException.class, () -> LogSetup.level("loud")).getMessage());
        assertEquals("'xml' is not a log format (text or json)",
                assertThrows(IllegalArgumentException.class, () -> LogSetup.style("xml")).getMessage());
    }
}
