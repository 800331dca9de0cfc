package dev.walden.bench;

import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * The stages the agent runs over every WAL segment, one segment per operation, single-threaded
 * (so ops/s × 16 MiB is MiB/s per core): SHA-256 ({@link Checksums}), compression at the levels
 * walden offers ({@link Compression}: zstd 1 and 3, lz4 fast), and SHA-256 plus zstd 3 together
 * the way {@code ObjectPut} streams a segment (128 KiB chunks, hash then compress).
 *
 * <p>The input is the file given as {@code -p segment=PATH} (a real WAL segment; the script
 * makes one with PostgreSQL), or, when empty, a synthetic 16 MiB mix of WAL-like records:
 * repetitive text, zero padding and random bytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
public class PipelineBenchmark {
    private static final int CHUNK = 128 * 1024;

    @Param("")
    public String segment;

    private byte[] data;
    private final CountingSink sink = new CountingSink();

    @Setup(Level.Trial)
    public void load() throws IOException {
        data = segment.isEmpty() ? synthetic() : Files.readAllBytes(Path.of(segment));
    }

    @Benchmark
    public byte[] sha256() {
        MessageDigest digest = Checksums.newDigest();
        for (int off = 0; off < data.length; off += CHUNK) {
            digest.update(data, off, Math.min(CHUNK, data.length - off));
        }
        return digest.digest();
    }

    @Benchmark
    public long zstd1() throws IOException {
        return compress(Compression.ZSTD, 1, null);
    }

    @Benchmark
    public long zstd3() throws IOException {
        return compress(Compression.ZSTD, 3, null);
    }

    @Benchmark
    public long lz4() throws IOException {
        return compress(Compression.LZ4, 0, null);
    }

    @Benchmark
    public long sha256AndZstd3() throws IOException {
        return compress(Compression.ZSTD, 3, Checksums.newDigest());
    }

    private long compress(Compression compression, int level, MessageDigest digest) throws IOException {
        sink.count = 0;
        try (OutputStream out = compression.compress(sink, level)) {
            for (int off = 0; off < data.length; off += CHUNK) {
                int n = Math.min(CHUNK, data.length - off);
                if (digest != null) {
                    digest.update(data, off, n);
                }
                out.write(data, off, n);
            }
        }
        if (digest != null) {
            digest.digest();
        }
        return sink.count;
    }

    /** Counts what the compressor writes, like ObjectPut's counting stream, and drops it. */
    private static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }

        @Override
        public void close() {
        }
    }

    /** 16 MiB of 8 KiB "pages": insert-like records, a zero-filled tail, some random bytes. */
    static byte[] synthetic() {
        byte[] out = new byte[16 * 1024 * 1024];
        Random random = new Random(42);
        for (int page = 0; page < out.length / 8192; page++) {
            int base = page * 8192;
            int pos = base;
            long id = page * 40L;
            while (pos < base + 6144) {
                byte[] rec = ("\u0000\u0001rec " + id++ + " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ").getBytes();
                int n = Math.min(rec.length, base + 6144 - pos);
                System.arraycopy(rec, 0, out, pos, n);
                pos += n;
            }
            byte[] noise = new byte[512];
            random.nextBytes(noise);
            System.arraycopy(noise, 0, out, base + 6144, noise.length);
            // the rest of the page stays zero
        }
        return out;
    }
}
