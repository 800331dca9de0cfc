package dev.walden.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.walden.config.ConfigSource;
import dev.walden.storage.Storage;
import dev.walden.storage.posix.PosixStorage;
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

    @Test
    void aMissingRepositoryAtTheDefaultPathSaysNoConfigFileWasFoundAndWhatThePathIsRelativeTo() throws Exception {
        // what locate() gives when neither --config, $WALDEN_CONFIG nor the default file is there
        ConfigSource none = ConfigSource.load(dir.resolve("no-such.conf"), false, Map.of());
        Path cwd = Path.of("").toAbsolutePath();
        IOException e = assertThrows(IOException.class, () -> StorageFactory.open(none));
        assertEquals("repository directory '" + cwd.resolve("backups") + "' does not exist (disk not mounted? a new "
                + "repository is made by 'walden init'); no config file was found (none given with --config or "
                + "$WALDEN_CONFIG, and no /etc/walden/walden.conf), so repository.path is its default 'backups', "
                + "relative to the working directory '" + cwd + "'", e.getMessage());
    }

    @Test
    void aRepositoryPathThatWasChosenIsReportedAsItIs() throws Exception {
        Path conf = Files.writeString(dir.resolve("walden.conf"), "repository.path = /no/such/repository\n");
        IOException e = assertThrows(IOException.class, () -> StorageFactory.open(ConfigSource.load(conf, true,
                Map.of())));
        assertEquals("repository directory '/no/such/repository' does not exist (disk not mounted? a new repository is "
                + "made by 'walden init')", e.getMessage());
        IOException fromEnvironment = assertThrows(IOException.class, () -> StorageFactory.open(ConfigSource.load(
                dir.resolve("no-such.conf"), false, Map.of("WALDEN_REPOSITORY_PATH", "/no/such/repository"))));
        assertEquals(e.getMessage(), fromEnvironment.getMessage());
    }
}
