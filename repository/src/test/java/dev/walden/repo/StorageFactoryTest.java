package dev.walden.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.walden.config.ConfigSource;
import dev.walden.storage.PosixStorage;
import dev.walden.storage.Storage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageFactoryTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(42L, 15, WalSegmentSize.DEFAULT);

    @TempDir
    Path dir;

    private ConfigSource config(Path repository) throws Exception {
        return ConfigSource.load(null, false, Map.of("WALDEN_REPOSITORY_PATH", repository.toString()));
    }

    @Test
    void aRepositoryJsonSomeoneElseMayRewriteIsRefusedByEveryCommand() throws Exception {
        Path root = dir.resolve("repo");
        Repository.create(PosixStorage.create(root), CLUSTER, Clock.systemUTC());
        try (Storage storage = StorageFactory.open(config(root))) {
            assertEquals(CLUSTER, Repository.open(storage).cluster());
        }
        Path info = root.resolve(Repository.INFO_KEY);
        Files.setPosixFilePermissions(info, PosixFilePermissions.fromString("rw-rw-rw-"));
        IOException e = assertThrows(IOException.class, () -> StorageFactory.open(config(root)));
        assertEquals("'" + info + "' is writable by others (mode 0666); run: chmod 600 '" + info + "'", e.getMessage());
        assertThrows(IOException.class, () -> StorageFactory.create(config(root), notice -> {
        }), "walden init too");
    }

    @Test
    void initMakesAnOpenRootPrivateAndTellsWhoAsked() throws Exception {
        Path root = Files.createDirectory(dir.resolve("repo"));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThrows(IOException.class, () -> StorageFactory.open(config(root)), "no command uses it as it is");
        List<String> notices = new ArrayList<>();
        StorageFactory.create(config(root), notices::add).close();
        assertEquals(1, notices.size(), notices.toString());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root)));
        StorageFactory.open(config(root)).close();
    }
}
