package dev.walden.storage.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import dev.walden.storage.StorageContractTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PosixStorageTest extends StorageContractTest {
    @TempDir
    Path dir;

    @Override
    protected Storage newStorage() throws IOException {
        return PosixStorage.create(dir.resolve("repo"));
    }

    private Path root() {
        return ((PosixStorage) storage).root();
    }

    @Test
    void aMissingRootIsAnErrorNotANewRepository() {
        Path unmounted = dir.resolve("mnt/backup/walden");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> new PosixStorage(unmounted));
        assertTrue(e.getMessage().contains("repository directory '" + unmounted + "' does not exist"), e.getMessage());
        assertFalse(Files.exists(unmounted));
        IOException noParent = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> PosixStorage.create(unmounted));
        assertTrue(noParent.getMessage().contains("the parent of repository directory"), noParent.getMessage());
        assertFalse(Files.exists(dir.resolve("mnt")), "nothing created on the way");
    }

    @Test
    void filesAre0600AndDirectories0700() throws IOException {
        put("wal/0000000100000000/obj", new byte[] {1});
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root().resolve("wal"))));
        assertEquals("rwx------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(root().resolve("wal/0000000100000000"))));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(root().resolve("wal/0000000100000000/obj"))));
    }

    @Test
    void aPointerIsARelativeSymlinkAnOperatorCanOpen() throws IOException {
        put("dumps/app/app_backup_20261102_020000.sql", "SELECT 1;".getBytes());
        storage.setPointer("dumps/app/latest_backup.sql", "dumps/app/app_backup_20261102_020000.sql");
        Path link = root().resolve("dumps/app/latest_backup.sql");
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("app_backup_20261102_020000.sql", Files.readSymbolicLink(link).toString());
        assertEquals("SELECT 1;", Files.readString(link));
    }

    @Test
    void objectsAreFilesNamedByTheirKey() throws IOException {
        put("wal/x-1.zst", new byte[] {42});
        assertArrayEquals(new byte[] {42}, Files.readAllBytes(root().resolve("wal/x-1.zst")));
    }

    @Test
    void aCrashedWriteLeavesOnlyHiddenTemporaryStateThatCleanupRemoves() throws IOException {
        // what a kill -9 between write and rename leaves behind
        ObjectWriter w = storage.write("wal/obj");
        w.stream().write(new byte[] {1, 2, 3});
        w.stream().flush();
        List<Path> temps;
        try (Stream<Path> files = Files.list(root().resolve("wal"))) {
            temps = files.toList();
        }
        assertEquals(1, temps.size());
        assertTrue(temps.get(0).getFileName().toString().startsWith(".obj."), temps.toString());
        assertTrue(storage.list("").isEmpty());
        Files.setLastModifiedTime(temps.get(0), FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        assertEquals(0, storage.removeAbandonedWrites(Duration.ofHours(3)), "young leftovers stay");
        assertEquals(1, storage.removeAbandonedWrites(Duration.ofHours(1)));
        assertFalse(Files.exists(temps.get(0)));
    }

    @Test
    void aDirectoryMovedAwayWhileInUseIsNamedAndTheNextWriteMakesItAgain() throws IOException {
        put("wal/0000000100000000/a", new byte[] {1});
        Files.move(root().resolve("wal"), dir.resolve("wal-moved-away"));
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> put("wal/0000000100000000/b", new byte[] {2}));
        assertEquals("write 'wal/0000000100000000/b' in posix:" + root() + ": directory 'wal' is gone (moved or "
                + "deleted while walden was using it?); the next write creates it again", e.getMessage());
        put("wal/0000000100000000/b", new byte[] {2});
        assertArrayEquals(new byte[] {2}, get("wal/0000000100000000/b"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root().resolve("wal"))));
    }

    @Test
    void aRootThatVanishedIsNeverMadeAgain() throws IOException {
        put("wal/0000000100000000/a", new byte[] {1});
        Files.move(root(), dir.resolve("unmounted"));
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> put("wal/0000000100000000/b", new byte[] {2}));
        assertEquals("write 'wal/0000000100000000/b' in posix:" + root() + ": repository directory '" + root()
                + "' does not exist (disk not mounted?)", e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> put("wal/0000000100000000/b",
                new byte[] {2}));
        assertFalse(Files.exists(root()), "not created again");
    }

    @Test
    void aFailedWriteNamesTheKeyAndTheStorage() throws IOException {
        Path repo = root();
        ObjectWriter w = storage.write("wal/obj");
        w.stream().write(new byte[] {1});
        // the directory vanishes under the writer: rename must fail, and say where
        try (Stream<Path> files = Files.list(repo.resolve("wal"))) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(repo.resolve("wal"));
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, w::commit);
        assertTrue(e.getMessage().startsWith("commit 'wal/obj' in posix:" + repo), e.getMessage());
        w.close();
    }
}
