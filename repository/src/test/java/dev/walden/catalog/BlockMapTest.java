package dev.walden.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The block map and block list formats of docs/repository-format.md, and what they refuse. */
class BlockMapTest {
    @Test
    void aMapReadsBackAsWritten() throws IOException {
        BlockMap map = BlockMap.of(2 * 8192 + 10, new long[] {1, -2, 3});
        BlockMap read = BlockMap.read(new ByteArrayInputStream(map.toBytes()));
        assertEquals(2 * 8192 + 10, read.fileSize());
        assertEquals(-2, read.hash(1));
        assertEquals(16 + 3 * 8, map.toBytes().length);
    }

    @Test
    void aDamagedMapIsRefusedWithWhatIsWrong() {
        byte[] good = BlockMap.of(8192, new long[] {7}).toBytes();
        assertTrue(refused(Arrays.copyOf(good, good.length - 1)).contains("cut short"));
        assertTrue(refused(Arrays.copyOf(good, good.length + 1)).contains("bytes after its 1 hashes"));
        byte[] magic = good.clone();
        magic[0] = 'X';
        assertTrue(refused(magic).contains("not a walden block map"));
        byte[] huge = good.clone();
        huge[8] = 0x7f; // a file size of exabytes: refused before anything is allocated
        assertTrue(refused(huge).contains("a block map for a file of"));
    }

    private static String refused(byte[] bytes) {
        return assertThrows(IOException.class, () -> BlockMap.read(new ByteArrayInputStream(bytes))).getMessage();
    }

    @Test
    void blockListsAreRangesAndRefuseDisorderAndBlocksBeyondTheFile() {
        long[] blocks = {0, 1, 2, 5, 7, 8};
        assertEquals("0-2,5,7-8", BlockRanges.format(blocks, blocks.length));
        assertArrayEquals(blocks, BlockRanges.parse("0-2,5,7-8", 9));
        assertArrayEquals(new long[0], BlockRanges.parse("", 9));
        assertThrows(IllegalArgumentException.class, () -> BlockRanges.parse("5,3", 9));
        assertThrows(IllegalArgumentException.class, () -> BlockRanges.parse("0-9", 9));
        assertThrows(IllegalArgumentException.class, () -> BlockRanges.parse("2-1", 9));
        assertThrows(IllegalArgumentException.class, () -> BlockRanges.parse("1,,2", 9));
        assertThrows(IllegalArgumentException.class, () -> BlockRanges.parse("x", 9));
    }
}
