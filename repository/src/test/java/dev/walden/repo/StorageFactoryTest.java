package dev.walden.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.walden.config.ConfigSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageFactoryTest {
    @TempDir
    Path dir;

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
