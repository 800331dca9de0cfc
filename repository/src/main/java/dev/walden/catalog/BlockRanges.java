package dev.walden.catalog;

import java.util.ArrayList;
import java.util.List;

/**
 * The blocks a {@link BackupManifest.Delta} holds, written as ascending, non-overlapping ranges:
 * {@code 0-3,7,9-12}. Parsed and formatted here only; a malformed list (a hostile or damaged
 * manifest) is refused with what was wrong, and never expands beyond {@code limit} blocks.
 */
public final class BlockRanges {
    private BlockRanges() {
    }

    /** Formats ascending block numbers. */
    public static String format(long[] blocks, int count) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < count) {
            int j = i;
            while (j + 1 < count && blocks[j + 1] == blocks[j] + 1) {
                j++;
            }
            if (!out.isEmpty()) {
                out.append(',');
            }
            out.append(blocks[i]);
            if (j > i) {
                out.append('-').append(blocks[j]);
            }
            i = j + 1;
        }
        return out.toString();
    }

    /**
     * The block numbers {@code text} lists, ascending.
     *
     * @param limit blocks beyond it (a file's block count) make the list invalid
     * @throws IllegalArgumentException naming what is wrong
     */
    public static long[] parse(String text, long limit) {
        if (text == null || text.isEmpty()) {
            return new long[0];
        }
        List<long[]> ranges = new ArrayList<>();
        long total = 0;
        long next = 0;
        for (String part : text.split(",", -1)) {
            int dash = part.indexOf('-');
            long first;
            long last;
            try {
                first = Long.parseLong(dash < 0 ? part : part.substring(0, dash));
                last = dash < 0 ? first : Long.parseLong(part.substring(dash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("block list: '" + part + "' is not a block or a range of blocks");
            }
            if (first < next || last < first || last >= limit) {
                throw new IllegalArgumentException("block list: '" + part + "' is out of order or beyond the file's "
                        + limit + " blocks");
            }
            ranges.add(new long[] {first, last});
            total += last - first + 1;
            next = last + 1;
        }
        long[] blocks = new long[Math.toIntExact(total)];
        int at = 0;
        for (long[] range : ranges) {
            for (long b = range[0]; b <= range[1]; b++) {
                blocks[at++] = b;
            }
        }
        return blocks;
    }
}
