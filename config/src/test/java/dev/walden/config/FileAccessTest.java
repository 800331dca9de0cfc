package dev.walden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileAccessTest {
    private static final Path FILE = Path.of("/etc/walden/walden.conf");
    private static final int ME = 1001;
    private static final int REGULAR = 0100000;

    @TempDir
    Path dir;

    private static Optional<String> problem(int owner, int mode, boolean secret) {
        return FileAccess.settingsFileProblem(FILE, new FileAccess.Stat(owner, REGULAR | mode), ME, secret);
    }

    @Test
    void aFileOfThisUserOrRootThatOnlyTheyMayChangeIsFine() {
        assertEquals(Optional.empty(), problem(ME, 0644, false));
        assertEquals(Optional.empty(), problem(0, 0644, false), "/etc/walden/walden.conf as packages install it");
        assertEquals(Optional.empty(), problem(ME, 0600, true));
        assertEquals(Optional.empty(), problem(ME, 0400, true));
    }

    @Test
    void aFileAnotherUserOwnsIsRefused() {
        assertEquals(Optional.of("'" + FILE + "' is owned by uid 1002, not by this user (uid 1001) or root; run: chown 1001 '"
                + FILE + "'"), problem(1002, 0600, false));
    }

    @Test
    void aFileOthersMayChangeIsRefused() {
        for (int mode : new int[] {0664, 0646, 0666, 0777, 0620}) {
            assertEquals(Optional.of("'" + FILE + "' is writable by others (mode " + String.format("%04o", mode)
                    + "); run: chmod go-w '" + FILE + "'"), problem(ME, mode, false));
        }
        assertEquals(Optional.of("'" + FILE + "' is writable by others (mode 0660); run: chmod go-w '" + FILE + "'"),
                problem(0, 0660, false), "root's file too");
    }

    @Test
    void aPasswordOthersMayReadIsRefused() {
        assertEquals(Optional.of("'" + FILE + "' holds a password and is readable by others (mode 0644); run: chmod 600 '"
                + FILE + "'"), problem(ME, 0644, true));
        assertEquals(Optional.of("'" + FILE + "' holds a password and is readable by others (mode 0640); run: chmod 600 '"
                + FILE + "'"), problem(ME, 0640, true));
        assertEquals(Optional.of("'" + FILE + "' holds a password and is readable by others (mode 0666); run: chmod 600 '"
                + FILE + "'"), problem(ME, 0666, true), "one fix for both problems");
        assertEquals(Optional.of("'" + FILE + "' holds a password and is readable by others (mode 0604); run: chmod 640 '"
                + FILE + "' and chgrp it to a group of this user"), problem(0, 0604, true));
    }

    @Test
    void rootMayHandAPasswordToAGroupAsPostgresqlAllowsForItsKeys() {
        assertEquals(Optional.empty(), problem(0, 0640, true));
        assertEquals(Optional.empty(), problem(0, 0440, true));
    }

    @Test
    void devNullHasNoContentsSomeoneCouldRewrite() throws Exception {
        assertEquals(Optional.empty(), FileAccess.settingsFileProblem(Path.of("/dev/null"), false),
                "root's, 0666, and always empty: --config /dev/null is fine");
    }

    @Test
    void realFilesAreReadWithTheirModeAndOwner() throws Exception {
        Path file = Files.writeString(dir.resolve("walden.conf"), "x");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        FileAccess.Stat stat = FileAccess.stat(file);
        assertEquals(0666, stat.mode() & 07777);
        assertEquals(FileAccess.currentUid(), stat.uid(), "we made it");
        assertEquals(Optional.of("'" + file + "' is writable by others (mode 0666); run: chmod go-w '" + file + "'"),
                FileAccess.settingsFileProblem(file, false));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertEquals(Optional.empty(), FileAccess.settingsFileProblem(file, true));
        assertEquals(System.getProperty("user.name"), FileAccess.currentUserName());
        assertEquals(0, FileAccess.stat(Path.of("/")).uid(), "root's");
    }
}
