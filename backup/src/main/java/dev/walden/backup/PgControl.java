package dev.walden.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Reads {@code global/pg_control} whole and intact. A checkpoint may rewrite it while we read,
 * and a torn copy makes the restored cluster refuse to start ("incorrect checksum in control
 * file"), so the file is read until its CRC-32C checks out, as pgBackRest does. The CRC is the
 * struct's last field, at an offset that varies by version; it is found as the one place where
 * the CRC of everything before it is stored, which is 288 on PostgreSQL 13-18.
 */
final class PgControl {
    private static final int ATTEMPTS = 10;
    private static final int MAX_STRUCT = 1024;

    private PgControl() {
    }

    static byte[] readIntact(Path file) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            byte[] bytes = Files.readAllBytes(file);
            if (crcOffset(bytes) > 0) {
                return bytes;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted reading " + file, e);
            }
        }
        throw new IOException("'" + file + "' fails its CRC on " + ATTEMPTS + " reads: it is damaged, or not a "
                + "pg_control file");
    }

    /** Where the CRC of the preceding bytes is stored, or -1 when nowhere: a torn or damaged file. */
    static int crcOffset(byte[] bytes) {
        for (int n = 8; n + 4 <= Math.min(bytes.length, MAX_STRUCT); n += 4) {
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, n);
            if ((int) crc.getValue() == ByteBuffer.wrap(bytes, n, 4).order(ByteOrder.nativeOrder()).getInt()) {
                return n;
            }
        }
        return -1;
    }
}
