package dev.walden.crypto;

import dev.walden.storage.MemoryStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Random;

/** Key sources for tests. */
public final class TestKeys {
    private TestKeys() {
    }

    public static KeySource passphrase(String passphrase) {
        return new KeySource.Passphrase(passphrase.toCharArray());
    }

    /** A key file of 64 hex digits, mode 0600, in {@code dir}. */
    public static KeySource.KeyFile keyFile(Path dir, String name, long seed) throws IOException {
        byte[] key = new byte[32];
        new Random(seed).nextBytes(key);
        Path file = dir.resolve(name);
        Files.writeString(file, HexFormat.of().formatHex(key) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return new KeySource.KeyFile(file);
    }

    /** An encrypting storage over a fresh memory storage. */
    public static EncryptingStorage encrypted(MemoryStorage inner, KeySource source) throws IOException {
        return new EncryptingStorage(inner, Keyring.create(inner, source, "42", Instant.now()));
    }
}
