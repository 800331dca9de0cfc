package dev.walden.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The checksum's properties; agreement with PostgreSQL itself is proven end to end, where every
 * page of a real cluster created with data checksums must verify.
 */
class PageChecksumTest {
    private static byte[] page(long seed) {
        byte[] page = new byte[PageChecksum.BLOCK_SIZE];
        new Random(seed).nextBytes(page);
        return page;
    }

    private static void store(byte[] page, long block) {
        int checksum = PageChecksum.compute(page, 0, block);
        ByteBuffer.wrap(page).order(ByteOrder.nativeOrder()).putShort(8, (short) checksum);
    }

    @Test
    void aPageCarryingItsChecksumVerifiesAndTheStoredFieldIsIgnoredWhenComputing() {
        byte[] page = page(1);
        int before = PageChecksum.compute(page, 0, 7);
        store(page, 7);
        assertEquals(before, PageChecksum.compute(page, 0, 7), "pd_checksum counts as zero");
        assertTrue(PageChecksum.verify(page, 0, 7));
        int value = PageChecksum.compute(page, 0, 7);
        assertTrue(value >= 1 && value <= 65535);
    }

    @Test
    void theBlockNumberAndEveryBitMatter() {
        byte[] page = page(2);
        store(page, 3);
        assertFalse(PageChecksum.verify(page, 0, 4), "the same page at another block");
        assertFalse(PageChecksum.verify(page, 0, 3 + PageChecksum.BLOCKS_PER_SEGMENT), "in the next segment file");
        byte[] flipped = page.clone();
        flipped[5000] ^= 0x01;
        assertFalse(PageChecksum.verify(flipped, 0, 3));
        byte[] flags = page.clone();
        flags[10] ^= 0x04; // pd_flags share the checksum's 32-bit word
        assertNotEquals(PageChecksum.compute(page, 0, 3), PageChecksum.compute(flags, 0, 3));
    }

    @Test
    void newPagesAreNotChecked() {
        assertTrue(PageChecksum.verify(new byte[PageChecksum.BLOCK_SIZE], 0, 99));
    }

    @Test
    void verifiesAPageInsideALargerBuffer() {
        byte[] page = page(3);
        store(page, 11);
        byte[] buffer = new byte[PageChecksum.BLOCK_SIZE * 3];
        System.arraycopy(page, 0, buffer, PageChecksum.BLOCK_SIZE, PageChecksum.BLOCK_SIZE);
        assertTrue(PageChecksum.verify(buffer, PageChecksum.BLOCK_SIZE, 11));
    }
}
