package dev.walden.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class WalFileNameTest {
    private static final WalSegmentSize MB16 = WalSegmentSize.DEFAULT;

    @ParameterizedTest
    @ValueSource(strings = {"000000010000000000000003", "0000000A00000001000000FF", "000000010000000000000003.partial",
            "000000010000000000000003.00000028.backup", "00000002.history", "FFFFFFFFFFFFFFFFFFFFFFFF"})
    void roundTrips(String name) {
        assertEquals(name, WalFileName.parse(name).toString());
    }

    @Test
    void parsesEachKind() {
        WalFileName segment = WalFileName.parse("0000000200000001000000A0");
        assertEquals(WalFileName.Kind.SEGMENT, segment.kind());
        assertEquals(2, segment.timeline());
        assertEquals(0x1A0, segment.segmentNumber(MB16));
        WalFileName backup = WalFileName.parse("000000010000000000000003.00000028.backup");
        assertEquals(WalFileName.Kind.BACKUP, backup.kind());
        assertEquals(0x28, backup.backupOffset());
        assertEquals("000000010000000000000003", backup.segmentName());
        assertEquals(WalFileName.Kind.PARTIAL, WalFileName.parse("000000010000000000000003.partial").kind());
        WalFileName history = WalFileName.parse("0000000A.history");
        assertEquals(WalFileName.Kind.HISTORY, history.kind());
        assertEquals(10, history.timeline());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "00000001000000000000003", "0000000100000000000000033", "000000010000000000000003x",
            "00000001000000000000000a", "../000000010000000000000003", "pg_wal/000000010000000000000003",
            "000000010000000000000003.ready", "00000002.History", "RECOVERYXLOG", "000000010000000000000003.backup",
            "00000000.history", "000000000000000000000001", "000000010000000000000003\n"})
    void refusesWhatPostgresNeverArchives(String name) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WalFileName.parse(name));
        assertTrue(e.getMessage().contains("not a WAL file name") || e.getMessage().contains("timeline 0"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
    }

    @Test
    void segmentPartOutOfRangeForTheSegmentSize() {
        WalFileName name = WalFileName.parse("000000010000000000000100");
        assertThrows(IllegalArgumentException.class, () -> name.segmentNumber(MB16));
        assertEquals(0x100, name.segmentNumber(new WalSegmentSize(1024 * 1024)), "fine with 1 MiB segments");
    }

    @Test
    void segmentFromNumberMatchesPostgresNaming() {
        assertEquals("000000010000000100000000", WalFileName.segment(1, 256, MB16).toString());
        assertEquals("0000000300000000000000FF", WalFileName.segment(3, 255, MB16).toString());
        WalSegmentSize gb1 = new WalSegmentSize(1024 * 1024 * 1024);
        assertEquals("000000010000000500000003", WalFileName.segment(1, 5 * 4 + 3, gb1).toString());
    }
}
