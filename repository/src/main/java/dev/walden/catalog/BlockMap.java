package dev.walden.catalog;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * A hash of every 8 KiB block of one relation file as a backup read it: what the next incremental
 * compares with to find the blocks that changed, and what a restore checks every rebuilt block
 * against. Parsed and formatted here only:
 *
 * <pre>
 * "WBM1"            4 bytes
 * block size        u32, big-endian (8192)
 * file size         u64, big-endian
 * hashes            u64 big-endian each, one per block, ceil(file size / block size) of them:
 *                   XXH64 (seed 0) of the block's bytes (the last block's may be fewer)
 * </pre>
 *
 * XXH64 finds changes, not attackers: a block is also counted as changed when its page LSN is past
 * the parent's start, so a crafted collision can't hide a WAL-logged change (docs/architecture.md).
 */
public final class BlockMap {
    public static final int BLOCK_SIZE = 8192;
    /** The largest file tracked by block: 32 GiB (PostgreSQL's largest segment), a 32 MiB map. */
    public static final long MAX_FILE_SIZE = 32L << 30;
    private static final byte[] MAGIC = {'W', 'B', 'M', '1'};
    private static final XXHash64 XXH64 = XXHashFactory.fastestInstance().hash64();

    private final long fileSize;
    private final long[] hashes;

    private BlockMap(long fileSize, long[] hashes) {
        this.fileSize = fileSize;
        this.hashes = hashes;
    }

    /** The number of blocks of a file of {@code size} bytes, the last one possibly short. */
    public static long blocks(long size) {
        return (size + BLOCK_SIZE - 1) / BLOCK_SIZE;
    }

    /** The hash a map holds for {@code length} bytes of a block. */
    public static long hash(byte[] buffer, int offset, int length) {
        return XXH64.hash(buffer, offset, length, 0);
    }

    public static BlockMap of(long fileSize, long[] hashes) {
        if (fileSize < 0 || fileSize > MAX_FILE_SIZE || hashes.length != blocks(fileSize)) {
            throw new IllegalArgumentException("a block map of " + hashes.length + " blocks can't describe a file of "
                    + fileSize + " bytes");
        }
        return new BlockMap(fileSize, hashes);
    }

    public long fileSize() {
        return fileSize;
    }

    public int blockCount() {
        return hashes.length;
    }

    public long hash(long block) {
        return hashes[Math.toIntExact(block)];
    }

    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + hashes.length * 8);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeInt(BLOCK_SIZE);
            out.writeLong(fileSize);
            for (long h : hashes) {
                out.writeLong(h);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e); // in memory
        }
        return bytes.toByteArray();
    }

    /**
     * Reads a map, checking its header and length before it allocates anything.
     *
     * @throws IOException naming what is wrong with it
     */
    public static BlockMap read(InputStream stream) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        try {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException("not a walden block map (it does not begin with WBM1)");
            }
            int blockSize = in.readInt();
            if (blockSize != BLOCK_SIZE) {
                throw new IOException("a block map of " + blockSize + "-byte blocks; walden tracks " + BLOCK_SIZE);
            }
            long fileSize = in.readLong();
            if (fileSize < 0 || fileSize > MAX_FILE_SIZE) {
                throw new IOException("a block map for a file of " + fileSize + " bytes");
            }
            long[] hashes = new long[Math.toIntExact(blocks(fileSize))];
            for (int i = 0; i < hashes.length; i++) {
                hashes[i] = in.readLong();
            }
            if (in.read() >= 0) {
                throw new IOException("a block map with bytes after its " + hashes.length + " hashes");
            }
            return new BlockMap(fileSize, hashes);
        } catch (EOFException e) {
            throw new IOException("a block map cut short", e);
        }
    }
}
