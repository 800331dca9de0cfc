package dev.walden.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CompressionTest {
    @TempDir
    Path dir;

    /** Compressible like WAL: runs of zeros and repeated records, with some noise. */
    static byte[] walLike(int size) {
        byte[] bytes = new byte[size];
        Random random = new Random(7);
        for (int i = 0; i < size / 2; i += 64) {
            random.nextBytes(Arrays.copyOfRange(bytes, i, i + 16));
            System.arraycopy(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 0, bytes, i + 16, 8);
            bytes[i] = (byte) random.nextInt();
        }
        return bytes;
    }

    static byte[] compress(Compression c, byte[] data, int level) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = c.compress(out, level)) {
            z.write(data);
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void roundTripsAtTheDefaultLevel(Compression c) throws IOException {
        byte[] data = walLike(1024 * 1024);
        byte[] packed = compress(c, data, c.defaultLevel());
        if (c != Compression.NONE) {
            assertTrue(packed.length < data.length / 2, c + " compressed to " + packed.length);
        }
        try (InputStream in = c.decompress(new ByteArrayInputStream(packed))) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"ZSTD", "LZ4", "GZIP"})
    void theStandardToolDecompressesIt(Compression c) throws Exception {
        byte[] data = walLike(256 * 1024);
        Path file = dir.resolve("object." + c.extension());
        Files.write(file, compress(c, data, c.defaultLevel()));
        String tool = switch (c) {
            case ZSTD -> "zstd";
            case LZ4 -> "lz4";
            default -> "gzip";
        };
        Process p = new ProcessBuilder(tool, "-d", "-c", file.toString()).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), tool + " -d failed");
        assertArrayEquals(data, out, "an operator can recover the object with " + tool + " -d");
    }

    @Test
    void highCompressionLevelsWork() throws IOException {
        byte[] data = walLike(256 * 1024);
        for (Compression c : new Compression[] {Compression.LZ4, Compression.ZSTD, Compression.GZIP}) {
            int level = c == Compression.LZ4 ? 9 : c == Compression.ZSTD ? 19 : 9;
            try (InputStream in = c.decompress(new ByteArrayInputStream(compress(c, data, level)))) {
                assertArrayEquals(data, in.readAllBytes());
            }
        }
    }

    @Test
    void namesLevelsAndExtensions() {
        assertEquals(Compression.ZSTD, Compression.fromConfigName(" ZSTD "));
        assertEquals("unknown compression 'zsd' (expected zstd, lz4, gzip or none)",
                assertThrows(IllegalArgumentException.class, () -> Compression.fromConfigName("zsd")).getMessage());
        assertEquals("level 22 is outside 1-19 for zstd",
                assertThrows(IllegalArgumentException.class, () -> Compression.ZSTD.checkLevel(22)).getMessage());
        assertEquals(Compression.NONE, Compression.fromExtension("").orElseThrow());
        assertEquals(Compression.GZIP, Compression.fromExtension("gz").orElseThrow());
    }
}
