package dev.walden.wal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.walden.wal.WalFileException.Reason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class WalFileCheckTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(7312345678901234567L, 15,
            new WalSegmentSize(1024 * 1024));
    private static final WalFileName NAME = WalFileName.parse("000000020000000000000003");

    private static byte[] head(byte[] segment) {
        return Arrays.copyOf(segment, WalPageHeader.LONG_HEADER_LENGTH);
    }

    private static WalFileException refused(WalFileName name, byte[] segment) {
        return assertThrows(WalFileException.class, () -> WalFileCheck.checkHeader(name, head(segment), CLUSTER));
    }

    @Test
    void acceptsAHeaderPostgresWouldWrite() {
        assertDoesNotThrow(() -> WalFileCheck.checkHeader(NAME, head(SyntheticWal.segment(CLUSTER, NAME, 1)), CLUSTER));
        assertDoesNotThrow(() -> WalFileCheck.checkSize(NAME, CLUSTER.segmentSize().bytes(), CLUSTER));
    }

    @Test
    void acceptsAFirstPageFromTheParentTimeline() {
        byte[] segment = SyntheticWal.segment(CLUSTER, NAME, 1);
        ByteBuffer.wrap(segment).order(ByteOrder.nativeOrder()).putInt(4, 1);
        assertDoesNotThrow(() -> WalFileCheck.checkHeader(NAME, head(segment), CLUSTER));
    }

    @Test
    void acceptsAFirstPageThatOverwritesALostContinuationRecord() {
        // after a crash lost a record crossing into this segment: XLP_LONG_HEADER | XLP_FIRST_IS_OVERWRITE_CONTRECORD
        byte[] segment = SyntheticWal.segment(CLUSTER, NAME, 1);
        ByteBuffer.wrap(segment).order(ByteOrder.nativeOrder()).putShort(2, (short) 0x000A);
        assertDoesNotThrow(() -> WalFileCheck.checkHeader(NAME, head(segment), CLUSTER));
        ByteBuffer.wrap(segment).order(ByteOrder.nativeOrder()).putShort(2, (short) 0x0012);
        assertEquals(Reason.BAD_HEADER, refused(NAME, segment).reason(), "0x0010 is no PostgreSQL flag");
    }

    @Test
    void refusesWalOfAnotherSystem() {
        byte[] foreign = SyntheticWal.segment(CLUSTER.walMagic(), 42L, CLUSTER.segmentSize(), NAME, 1);
        WalFileException e = refused(NAME, foreign);
        assertEquals(Reason.FOREIGN_SYSTEM, e.reason());
        assertEquals("'000000020000000000000003' belongs to database system 42, but this repository holds system "
                + "7312345678901234567 (another cluster archiving here?)", e.getMessage());
    }

    @Test
    void refusesWalOfAnotherMajorVersion() {
        byte[] pg14 = SyntheticWal.segment(0xD10D, CLUSTER.systemIdentifier(), CLUSTER.segmentSize(), NAME, 1);
        WalFileException e = refused(NAME, pg14);
        assertEquals(Reason.BAD_HEADER, e.reason());
        assertEquals("'000000020000000000000003' has page magic 0xD10D (WAL of PostgreSQL 14), but this cluster runs"
                + " PostgreSQL 15 (0xD110)", e.getMessage());
    }

    @Test
    void refusesAFileRenamedToAnotherSegment() {
        byte[] other = SyntheticWal.segment(CLUSTER, WalFileName.parse("000000020000000000000004"), 1);
        WalFileException e = refused(NAME, other);
        assertEquals(Reason.BAD_HEADER, e.reason());
        assertEquals("'000000020000000000000003' starts with the page of 0/400000, but its name says 0/300000"
                + " (renamed or recycled file?)", e.getMessage());
    }

    @Test
    void refusesAZeroFilledSegment() {
        assertEquals(Reason.BAD_HEADER, refused(NAME, new byte[64]).reason());
    }

    @Test
    void refusesAShortPageHeaderAndANewerTimeline() {
        byte[] shortHeader = SyntheticWal.segment(CLUSTER, NAME, 1);
        ByteBuffer.wrap(shortHeader).order(ByteOrder.nativeOrder()).putShort(2, (short) 0);
        assertEquals(Reason.BAD_HEADER, refused(NAME, shortHeader).reason());
        byte[] newer = SyntheticWal.segment(CLUSTER, NAME, 1);
        ByteBuffer.wrap(newer).order(ByteOrder.nativeOrder()).putInt(4, 3);
        assertEquals(Reason.BAD_HEADER, refused(NAME, newer).reason());
    }

    @Test
    void refusesATruncatedSegmentAndAnOutOfRangeName() {
        WalFileException truncated = assertThrows(WalFileException.class,
                () -> WalFileCheck.checkSize(NAME, 8192, CLUSTER));
        assertEquals(Reason.BAD_SIZE, truncated.reason());
        assertEquals("'000000020000000000000003' is 8192 bytes, but WAL segments of this cluster are 1048576 bytes"
                + " (truncated or foreign file)", truncated.getMessage());
        WalFileName outOfRange = WalFileName.parse("000000010000000000001000"); // 4096 > 4095 for 1 MiB
        assertEquals(Reason.BAD_NAME, assertThrows(WalFileException.class,
                () -> WalFileCheck.checkSize(outOfRange, CLUSTER.segmentSize().bytes(), CLUSTER)).reason());
    }

    @Test
    void checksHistoryAndBackupFiles() {
        WalFileName history = WalFileName.parse("00000003.history");
        byte[] good = "1\t0/3000000\tno recovery target specified\n\n2\t0/5000000\tbefore 2026-11-23\n"
                .getBytes(StandardCharsets.UTF_8);
        assertDoesNotThrow(() -> WalFileCheck.checkText(history, good));
        assertEquals(Reason.BAD_HEADER, assertThrows(WalFileException.class, () -> WalFileCheck.checkText(history,
                "3\t0/3000000\tloop\n".getBytes(StandardCharsets.UTF_8))).reason());
        assertEquals(Reason.BAD_HEADER, assertThrows(WalFileException.class, () -> WalFileCheck.checkText(history,
                "garbage".getBytes(StandardCharsets.UTF_8))).reason());
        for (String empty : new String[] {"\n", "# only a comment\n\n"}) {
            WalFileException e = assertThrows(WalFileException.class, () -> WalFileCheck.checkText(history,
                    empty.getBytes(StandardCharsets.UTF_8)));
            assertEquals(Reason.BAD_HEADER, e.reason(), empty);
            assertEquals("'00000003.history' is not a valid timeline history: it has no entry (empty, or comments "
                    + "only); it must name at least the parent timeline and where timeline 3 branched off it",
                    e.getMessage());
        }
        WalFileName backup = WalFileName.parse("000000010000000000000003.00000028.backup");
        assertDoesNotThrow(() -> WalFileCheck.checkText(backup,
                "START WAL LOCATION: 0/3000028 (file 000000010000000000000003)\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals(Reason.BAD_HEADER, assertThrows(WalFileException.class, () -> WalFileCheck.checkText(backup,
                new byte[] {1, 2, 3})).reason());
        // a LATIN1 database's restore point and backup label are not UTF-8, and must still archive
        byte[] latin1 = "1\t0/3000000\tat restore point \"caf\u00e9\"\n".getBytes(StandardCharsets.ISO_8859_1);
        assertDoesNotThrow(() -> WalFileCheck.checkText(WalFileName.parse("00000002.history"), latin1));
        byte[] label = "START WAL LOCATION: 0/3000028 (file 000000010000000000000003)\nLABEL: d\u00e9j\u00e0\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        assertDoesNotThrow(() -> WalFileCheck.checkText(backup, label));
        assertEquals(Reason.BAD_SIZE, assertThrows(WalFileException.class,
                () -> WalFileCheck.checkSize(history, 0, CLUSTER)).reason());
    }
}
