package dev.walden.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.walden.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DotEnvTest {
    @TempDir
    Path dir;

    private Path write(String text, String mode) throws Exception {
        Path file = Files.writeString(dir.resolve(".env"), text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    @Test
    void aPasswordOthersMayReadIsRefusedAsSshRefusesAReadableKey() throws Exception {
        String[] secrets = {"PGPASSWORD=pa55-word\n", "export DB_PASSWORD='pa55-word'\n",
            "DATABASE_URL=postgres://app:pa55-word@db:5432/app\n", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI\n"};
        for (String secret : secrets) {
            Path file = write("DB_HOST=db\n" + secret, "rw-r-----");
            ConfigException e = assertThrows(ConfigException.class, () -> DotEnv.read(file), secret);
            assertEquals("'" + file + "' holds a password and is readable by others (mode 0640); run: chmod 600 '"
                    + file + "'", e.getMessage());
            assertFalse(e.getMessage().contains("pa55"), "never the password itself");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            assertEquals("db", DotEnv.read(file).get("DB_HOST"), secret);
        }
    }

    @Test
    void withoutAPasswordOthersMayReadIt() throws Exception {
        Path file = write("DB_HOST=/var/run/postgresql\nDB_USER=postgres\nPGPASSWORD=\n", "rw-r--r--");
        assertEquals(Map.of("DB_HOST", "/var/run/postgresql", "DB_USER", "postgres", "PGPASSWORD", ""),
                DotEnv.read(file));
    }

    @Test
    void aFileOthersMayChangeIsRefused() throws Exception {
        // whoever can write it decides which host gets the password
        Path file = write("DB_HOST=db\n", "rw-rw-rw-");
        ConfigException e = assertThrows(ConfigException.class, () -> DotEnv.read(file));
        assertEquals("'" + file + "' is writable by others (mode 0666); run: chmod go-w '" + file + "'", e.getMessage());
    }
}
