package dev.walden.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgControlTest {
    @TempDir
    Path dir;

    /** A control file laid out as PostgreSQL 13-18 write it: the struct, its CRC at 288, zero padding to 8 KiB. */
    static byte[] control(long seed) {
        byte[] bytes = new byte[8192];
        byte[] struct = new byte[288];
        new Random(seed).nextBytes(struct);
        System.arraycopy(struct, 0, bytes, 0, struct.length);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 288);
        ByteBuffer.wrap(bytes, 288, 4).order(ByteOrder.nativeOrder()).putInt((int) crc.getValue());
        return bytes;
    }

    @Test
    void anIntactFileIsReadAsItIs() throws IOException {
        byte[] bytes = control(1);
        assertEquals(288, PgControl.crcOffset(bytes));
        Path file = Files.write(dir.resolve("pg_control"), bytes);
        assertArrayEquals(bytes, PgControl.readIntact(file));
    }

    @Test
    void aTornOrDamagedFileIsRefusedByName() throws IOException {
        byte[] torn = control(2);
        System.arraycopy(control(3), 0, torn, 0, 100); // half of a newer write
        assertEquals(-1, PgControl.crcOffset(torn));
        Path file = Files.write(dir.resolve("pg_control"), torn);
        IOException e = assertThrows(IOException.class, () -> PgControl.readIntact(file));
        assertTrue(e.getMessage().contains("fails its CRC on 10 reads"), e.getMessage());
    }
}
