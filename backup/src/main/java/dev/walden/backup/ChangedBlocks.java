package dev.walden.backup;

import dev.walden.catalog.BlockMap;
import dev.walden.catalog.BlockRanges;
import dev.walden.wal.Lsn;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * Reads a relation file from its start and yields only the blocks that changed since the parent
 * backup, in block order: the content of an incremental's delta. A block changed when
 * <ul>
 *   <li>the parent's file had no such block (the relation grew), or its block had another length;</li>
 *   <li>its hash is not the one in the parent's {@link BlockMap} (any change of content: hint bits,
 *       pages without an LSN, a file dropped and created again under the same name, pages copied
 *       with old LSNs by CREATE DATABASE ... STRATEGY FILE_COPY); or</li>
 *   <li>its page LSN is past the parent's start LSN (a WAL-logged change, whatever the hash says).</li>
 * </ul>
 * Along the way it hashes every block into the file's new block map, and checks the page checksum
 * of every changed whole page. Blocks are read in runs of 64 (512 KiB): memory stays bounded
 * whatever the file's size.
 */
final class ChangedBlocks extends InputStream {
    private static final int BLOCK = BlockMap.BLOCK_SIZE;
    private static final int RUN = 64;

    private final FileChannel channel;
    private final BlockMap before;
    private final long parentStart;
    private final PageVerifier pages;
    private final ByteBuffer read = ByteBuffer.allocate(RUN * BLOCK);
    private final byte[] out = new byte[RUN * BLOCK];
    private int outStart;
    private int outEnd;
    private long position;
    private boolean eof;
    private long[] hashes = new long[64];
    private int blocks;
    private long[] changed = new long[64];
    private int changedCount;

    /**
     * The share of changed blocks among the file's first {@code sample} blocks (0 for an empty
     * file): reads them, stores nothing.
     */
    static double changedShare(FileChannel channel, BlockMap before, Lsn parentStart, int sample) throws IOException {
        ChangedBlocks probe = new ChangedBlocks(channel, before, parentStart, null);
        while (!probe.eof && probe.blocks < sample) {
            probe.fill();
        }
        return probe.blocks == 0 ? 0 : (double) probe.changedCount / probe.blocks;
    }

    ChangedBlocks(FileChannel channel, BlockMap before, Lsn parentStart, PageVerifier pages) {
        this.channel = channel;
        this.before = before;
        this.parentStart = parentStart.value();
        this.pages = pages;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        while (outStart == outEnd) {
            if (eof) {
                return -1;
            }
            fill();
        }
        int n = Math.min(len, outEnd - outStart);
        System.arraycopy(out, outStart, b, off, n);
        outStart += n;
        return n;
    }

    /** Reads the next run of blocks and keeps the changed ones. */
    private void fill() throws IOException {
        read.clear();
        while (read.hasRemaining()) {
            int n = channel.read(read, position + read.position());
            if (n < 0) {
                eof = true;
                break;
            }
        }
        byte[] data = read.array();
        int length = read.position();
        outStart = 0;
        outEnd = 0;
        for (int at = 0; at < length; at += BLOCK) {
            int n = Math.min(BLOCK, length - at);
            long block = (position + at) / BLOCK;
            long hash = BlockMap.hash(data, at, n);
            record(hash);
            if (isChanged(block, data, at, n, hash)) {
                if (pages != null && n == BLOCK) {
                    pages.check(data, at, block);
                }
                System.arraycopy(data, at, out, outEnd, n);
                outEnd += n;
                if (changedCount == changed.length) {
                    changed = Arrays.copyOf(changed, changedCount * 2);
                }
                changed[changedCount++] = block;
            }
        }
        position += length;
    }

    private boolean isChanged(long block, byte[] data, int at, int length, long hash) {
        if (block >= before.blockCount()) {
            return true;
        }
        long beforeLength = Math.min(BLOCK, before.fileSize() - block * BLOCK);
        if (beforeLength != length || before.hash(block) != hash) {
            return true;
        }
        return length == BLOCK && pageLsn(data, at) > parentStart;
    }

    /** pd_lsn: the page's first 8 bytes, two 32-bit halves in the server's (native) byte order. */
    private static long pageLsn(byte[] data, int at) {
        ByteBuffer page = ByteBuffer.wrap(data, at, 8).order(ByteOrder.nativeOrder());
        long high = Integer.toUnsignedLong(page.getInt(at));
        long low = Integer.toUnsignedLong(page.getInt(at + 4));
        return high << 32 | low;
    }

    private void record(long hash) {
        if (blocks == hashes.length) {
            hashes = Arrays.copyOf(hashes, blocks * 2);
        }
        hashes[blocks++] = hash;
    }

    /** The file's size as read; valid at the end of the stream. */
    long fileSize() {
        return position;
    }

    int changedCount() {
        return changedCount;
    }

    /** The changed blocks, as a manifest lists them. */
    String changedBlocks() {
        return BlockRanges.format(changed, changedCount);
    }

    /** The block map of the file as read; valid at the end of the stream. */
    BlockMap blockMap() {
        return BlockMap.of(position, Arrays.copyOf(hashes, blocks));
    }
}
