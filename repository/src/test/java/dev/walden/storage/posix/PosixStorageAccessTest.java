package dev.walden.storage.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.walden.config.FileAccess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may use a posix repository: its owner alone (the user running walden), nobody else writing. */
class PosixStorageAccessTest {
    /** A directory another user (root) owns, on every Linux system. */
    private static final Path ROOTS = Path.of("/etc");
    private static final String ME = System.getProperty("user.name");

    @TempDir
    Path dir;

    @BeforeAll
    static void notRoot() throws IOException {
        assertNotEquals(0, FileAccess.currentUid(), "root ignores permissions: run the tests through ./run-tests");
    }

    private Path directory(String name, String mode) throws IOException {
        Path path = Files.createDirectory(dir.resolve(name));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
        return path;
    }

    @Test
    void aRootOthersMayWriteInIsRefusedNamingTheFix() throws IOException {
        for (String mode : new String[] {"rwxrwxrwx", "rwxrwx---", "rwx----w-"}) {
            Path root = directory("repo-" + mode.replace('-', '_'), mode);
            IOException e = assertThrows(IOException.class, () -> new PosixStorage(root), mode);
            assertEquals("repository directory '" + root + "' is writable by others (mode "
                    + FileAccess.stat(root).modeText() + "); run: chmod 700 '" + root + "'", e.getMessage());
        }
        new PosixStorage(directory("readable", "rwxr-xr-x")); // others may look, as an operator chose
    }

    @Test
    void aRootOfAnotherUserIsRefused() {
        IOException e = assertThrows(IOException.class, () -> new PosixStorage(ROOTS));
        assertEquals("repository directory '/etc' is owned by 'root', not by '" + ME + "' who runs walden; run walden "
                + "as 'root', or run: chown -R " + ME + " '/etc'", e.getMessage());
    }

    @Test
    void createMakesOurOwnOpenDirectoryPrivateAndSaysSo() throws IOException {
        Path root = directory("repo", "rwxrwxrwx");
        List<String> notices = new ArrayList<>();
        PosixStorage.create(root, notices::add);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root)));
        assertEquals(List.of("repository directory '" + root + "' was open to other users (mode 0777); it is now 0700"),
                notices);
        notices.clear();
        PosixStorage.create(root, notices::add);
        assertEquals(List.of(), notices, "nothing to say the second time");
        PosixStorage.create(dir.resolve("new"), notices::add);
        assertEquals(List.of(), notices, "a new directory is made 0700");
    }

    @Test
    void createRefusesADirectoryOfAnotherUser() {
        IOException e = assertThrows(IOException.class, () -> PosixStorage.create(ROOTS, notice -> {
        }));
        assertEquals("repository directory '/etc' is owned by 'root', not by '" + ME + "' who runs walden; run walden "
                + "as 'root', or run: chown -R " + ME + " '/etc'", e.getMessage());
    }

    @Test
    void aPrivateObjectMustBeOursAPlainFileAndWritableByNobodyElse() throws IOException {
        PosixStorage storage = PosixStorage.create(dir.resolve("repo"));
        storage.checkPrivate("repository.json"); // missing: nothing to check
        Path file = Files.writeString(storage.root().resolve("repository.json"), "{}");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        storage.checkPrivate("repository.json");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        IOException writable = assertThrows(IOException.class, () -> storage.checkPrivate("repository.json"));
        assertEquals("'" + file + "' is writable by others (mode 0666); run: chmod 600 '" + file + "'",
                writable.getMessage());

        Files.delete(file);
        Path elsewhere = Files.writeString(dir.resolve("planted.json"), "{}");
        Files.createSymbolicLink(file, elsewhere);
        IOException link = assertThrows(IOException.class, () -> storage.checkPrivate("repository.json"));
        assertEquals("'" + file + "' is not a plain file, as walden writes it; find out who replaced it",
                link.getMessage());
    }
}
