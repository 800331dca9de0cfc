package dev.walden.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This host's name as lock owners record it ({@code walden agent (pid 4242 on db1)}): the
 * kernel's, without DNS, so the writer of a lock and a reader deciding whether its holder still
 * runs here compare the same string.
 */
public final class HostName {
    private HostName() {
    }

    public static String get() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException | RuntimeException e) {
            return System.getenv().getOrDefault("HOSTNAME", "unknown host");
        }
    }
}
