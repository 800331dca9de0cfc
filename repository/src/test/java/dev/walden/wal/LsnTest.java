package dev.walden.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LsnTest {
    @Test
    void parsesAndFormatsLikePostgres() {
        Lsn lsn = Lsn.parse("16/B374D848");
        assertEquals(0x16B374D848L, lsn.value());
        assertEquals("16/B374D848", lsn.toString());
        assertEquals("0/0", Lsn.ZERO.toString());
        assertEquals("FFFFFFFF/FFFFFFFF", new Lsn(-1).toString());
    }

    @Test
    void segmentArithmeticMatchesXLByteToSeg() {
        WalSegmentSize mb16 = WalSegmentSize.DEFAULT;
        Lsn lsn = Lsn.parse("0/3000028");
        assertEquals(3, lsn.segmentNumber(mb16));
        assertEquals(0x28, lsn.segmentOffset(mb16));
        assertEquals("000000010000000000000003", WalFileName.segment(1, lsn.segmentNumber(mb16), mb16).toString());
        Lsn high = Lsn.parse("1/0");
        assertEquals(256, high.segmentNumber(mb16));
        assertEquals("000000010000000100000000", WalFileName.segment(1, high.segmentNumber(mb16), mb16).toString());
        assertEquals(high, mb16.startOf(256));
        assertEquals(Long.divideUnsigned(-1L, mb16.bytes()), new Lsn(-1).segmentNumber(mb16), "unsigned");
    }

    @Test
    void comparesUnsigned() {
        assertTrue(new Lsn(-1).compareTo(new Lsn(1)) > 0);
        assertTrue(Lsn.parse("0/10").compareTo(Lsn.parse("0/9")) > 0);
    }

    @Test
    void refusesMalformed() {
        assertThrows(IllegalArgumentException.class, () -> Lsn.parse("0-3000028"));
        assertThrows(IllegalArgumentException.class, () -> Lsn.parse("123456789/0"));
        assertThrows(IllegalArgumentException.class, () -> Lsn.parse("/1"));
    }

    @Test
    void segmentSizesMustBePowersOfTwoInRange() {
        assertThrows(IllegalArgumentException.class, () -> new WalSegmentSize(3 * 1024 * 1024));
        assertThrows(IllegalArgumentException.class, () -> new WalSegmentSize(512 * 1024));
        assertEquals(256, WalSegmentSize.DEFAULT.segmentsPerXLogId());
    }
}
