package dev.walden.repo;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;
import net.jpountz.xxhash.XXHashFactory;

/**
 * How stored objects are compressed. Every format is the standard one of its command-line tool,
 * with the tool's own integrity check switched on, so an operator can always recover an object
 * by hand: {@code zstd -d}, {@code lz4 -d}, {@code gzip -d}.
 */
public enum Compression {
    ZSTD("zstd", "zst", 1, 19, 3),
    LZ4("lz4", "lz4", 0, 17, 0),
    GZIP("gzip", "gz", 1, 9, 6),
    NONE("none", "", 0, 0, 0);

    private static final int BUFFER_BYTES = 64 * 1024;

    private final String configName;
    private final String extension;
    private final int minLevel;
    private final int maxLevel;
    private final int defaultLevel;

    Compression(String configName, String extension, int minLevel, int maxLevel, int defaultLevel) {
        this.configName = configName;
        this.extension = extension;
        this.minLevel = minLevel;
        this.maxLevel = maxLevel;
        this.defaultLevel = defaultLevel;
    }

    /** The name used in configuration: {@code zstd}, {@code lz4}, {@code gzip}, {@code none}. */
    public String configName() {
        return configName;
    }

    /** The file extension without the dot; empty for {@link #NONE}. */
    public String extension() {
        return extension;
    }

    public int defaultLevel() {
        return defaultLevel;
    }

    /** The cheapest level: for objects that live only until a better copy arrives (streamed WAL). */
    public int fastestLevel() {
        return minLevel;
    }

    /** Checks a level for this format; for lz4, 0 is the fast mode and 1-17 the HC levels. */
    public int checkLevel(int level) {
        if (level < minLevel || level > maxLevel) {
            throw new IllegalArgumentException("level " + level + " is outside " + minLevel + "-" + maxLevel
                    + " for " + configName);
        }
        return level;
    }

    public static Compression fromConfigName(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(c -> c.configName.equals(n)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown compression '" + name
                        + "' (expected zstd, lz4, gzip or none)"));
    }

    public static Optional<Compression> fromExtension(String extension) {
        return Arrays.stream(values()).filter(c -> c.extension.equals(extension)).findFirst();
    }

    /**
     * Wraps {@code out}; closing the returned stream finishes the compressed format and closes
     * {@code out}.
     */
    public OutputStream compress(OutputStream out, int level) throws IOException {
        checkLevel(level);
        return switch (this) {
            case ZSTD -> {
                ZstdOutputStreamNoFinalizer zstd = new ZstdOutputStreamNoFinalizer(out, level);
                zstd.setChecksum(true);
                yield zstd;
            }
            // 256 KiB blocks: lz4-java allocates two buffers of the block size per stream and
            // clears one per block. Large blocks make that megabytes of garbage per WAL segment,
            // which took the agent's peak RSS past its memory target while draining a backlog;
            // small ones (lz4's default 64 KiB) cost compression ratio. 256 KiB balances the two
            // (figures in docs/benchmarks.md, "The lz4 block size").
            case LZ4 -> new LZ4FrameOutputStream(out, LZ4FrameOutputStream.BLOCKSIZE.SIZE_256KB, -1L,
                    level == 0 ? LZ4Factory.fastestInstance().fastCompressor()
                            : LZ4Factory.fastestInstance().highCompressor(level),
                    XXHashFactory.fastestInstance().hash32(),
                    LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE, LZ4FrameOutputStream.FLG.Bits.CONTENT_CHECKSUM);
            case GZIP -> new GZIPOutputStream(out, BUFFER_BYTES) {
                {
                    def.setLevel(level);
                }
            };
            case NONE -> out;
        };
    }

    /** Wraps {@code in}; closing the returned stream closes {@code in}. */
    public InputStream decompress(InputStream in) throws IOException {
        InputStream buffered = new BufferedInputStream(in, BUFFER_BYTES);
        return switch (this) {
            case ZSTD -> new ZstdInputStreamNoFinalizer(buffered);
            case LZ4 -> new LZ4FrameInputStream(buffered);
            case GZIP -> new GZIPInputStream(buffered, BUFFER_BYTES);
            case NONE -> buffered;
        };
    }
}
