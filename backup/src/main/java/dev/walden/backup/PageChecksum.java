package dev.walden.backup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * PostgreSQL's data page checksum (pg_checksum_page, src/include/storage/checksum_impl.h): 32
 * parallel FNV-1a-style lanes over the 8 KiB page read as native 32-bit words, with the page's own
 * checksum field (bytes 8-9) taken as zero, two extra rounds of zeros, the lanes xor-folded,
 * xor'ed with the absolute block number, reduced to 1..65535.
 */
public final class PageChecksum {
    public static final int BLOCK_SIZE = 8192;
    /** Blocks per relation segment file (RELSEG_SIZE): 1 GiB of 8 KiB pages. */
    public static final long BLOCKS_PER_SEGMENT = 131072;
    private static final int N_SUMS = 32;
    private static final int FNV_PRIME = 16777619;
    private static final int CHECKSUM_OFFSET = 8;
    private static final int[] BASE_OFFSETS = {
        0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A, 0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
        0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA, 0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
        0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE, 0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
        0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E, 0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756};

    private PageChecksum() {
    }

    /** The checksum PostgreSQL would store for the page at {@code offset} of {@code page}. */
    public static int compute(byte[] page, int offset, long blockNumber) {
        ByteBuffer words = ByteBuffer.wrap(page, offset, BLOCK_SIZE).order(ByteOrder.nativeOrder());
        int[] sums = BASE_OFFSETS.clone();
        for (int i = 0; i < BLOCK_SIZE / (4 * N_SUMS); i++) {
            for (int j = 0; j < N_SUMS; j++) {
                int position = offset + (i * N_SUMS + j) * 4;
                int value = words.getInt(position);
                if (position == offset + CHECKSUM_OFFSET) {
                    value &= ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 0xFFFF0000 : 0x0000FFFF;
                }
                sums[j] = round(sums[j], value);
            }
        }
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < N_SUMS; j++) {
                sums[j] = round(sums[j], 0);
            }
        }
        int result = 0;
        for (int sum : sums) {
            result ^= sum;
        }
        result ^= (int) blockNumber;
        return Integer.remainderUnsigned(result, 65535) + 1;
    }

    private static int round(int checksum, int value) {
        int tmp = checksum ^ value;
        return tmp * FNV_PRIME ^ (tmp >>> 17);
    }

    /** The checksum stored in the page header (pd_checksum). */
    public static int stored(byte[] page, int offset) {
        return Short.toUnsignedInt(ByteBuffer.wrap(page).order(ByteOrder.nativeOrder()).getShort(offset + CHECKSUM_OFFSET));
    }

    /** A never-initialised page: PostgreSQL doesn't checksum those (all zeros). */
    public static boolean isNew(byte[] page, int offset) {
        for (int i = offset; i < offset + BLOCK_SIZE; i++) {
            if (page[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether the page at {@code offset} is new or carries the right checksum. */
    public static boolean verify(byte[] page, int offset, long blockNumber) {
        return isNew(page, offset) || stored(page, offset) == compute(page, offset, blockNumber);
    }
}
