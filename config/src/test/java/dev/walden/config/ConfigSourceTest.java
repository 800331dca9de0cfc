package dev.walden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigSourceTest {
    @TempDir
    Path dir;

    private Path write(String text) throws Exception {
        Path file = dir.resolve("walden.conf");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void readsKeysCommentsQuotesAndDefaults() throws Exception {
        Path file = write("""
                # walden
                pgdata = /var/lib/postgresql/15/main

                agent.socket = "run/agent.sock"
                agent.workers=4
                """);
        ConfigSource config = ConfigSource.load(file, true, Map.of());
        assertEquals("/var/lib/postgresql/15/main", config.required(ConfigKeys.PGDATA));
        assertEquals(dir.resolve("run/agent.sock"), config.requiredPath(ConfigKeys.AGENT_SOCKET),
                "relative paths resolve against the config file's directory");
        assertEquals(4, config.integer(ConfigKeys.AGENT_WORKERS, 1, 64));
        assertEquals(Duration.ofSeconds(50), config.duration(ConfigKeys.AGENT_STORE_TIMEOUT), "default");
        assertEquals(dir.resolve("backups"), config.requiredPath(ConfigKeys.REPOSITORY_PATH), "default");
        assertTrue(config.isSet(ConfigKeys.AGENT_WORKERS));
        assertFalse(config.isSet(ConfigKeys.COMPRESSION));
    }

    @Test
    void environmentOverridesTheFile() throws Exception {
        Path file = write("agent.workers = 4\n");
        ConfigSource config = ConfigSource.load(file, true,
                Map.of("WALDEN_AGENT_WORKERS", "8", "WALDEN_CONFIG", "ignored", "PATH", "/bin"));
        assertEquals(8, config.integer(ConfigKeys.AGENT_WORKERS, 1, 64));
        assertEquals("environment variable WALDEN_AGENT_WORKERS", config.origin(ConfigKeys.AGENT_WORKERS));
    }

    @Test
    void unknownKeyIsNamedWithItsLine() throws Exception {
        Path file = write("pgdata = /x\nagent.wokers = 4\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSource.load(file, true, Map.of()));
        assertEquals(file + " line 2: unknown key 'agent.wokers'", e.getMessage());
    }

    @Test
    void unknownEnvironmentVariableIsNamed() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigSource.load(null, false, Map.of("WALDEN_AGENT_WOKERS", "4")));
        assertEquals("unknown environment variable WALDEN_AGENT_WOKERS: it matches no configuration key",
                e.getMessage());
    }

    @Test
    void theBuildsVariablesAreNotMistakenForKeys() throws Exception {
        // a shell that built walden (native/build.sh) may still hold them when it runs walden
        ConfigSource source = ConfigSource.load(null, false, Map.of("WALDEN_NATIVE", "off",
                "WALDEN_NATIVE_LINK", "dynamic", "WALDEN_NATIVE_MAJORS", "15,17"));
        assertEquals(Map.of(), source.environment());
    }

    @Test
    void duplicateAndMalformedLinesAreRefused() throws Exception {
        Path dup = write("pgdata = /a\npgdata = /b\n");
        assertEquals(dup + " line 2: key 'pgdata' is set twice",
                assertThrows(ConfigException.class, () -> ConfigSource.load(dup, true, Map.of())).getMessage());
        Path bad = write("pgdata /a\n");
        assertEquals(bad + " line 1: expected 'key = value', got 'pgdata /a'",
                assertThrows(ConfigException.class, () -> ConfigSource.load(bad, true, Map.of())).getMessage());
    }

    @Test
    void invalidValuesNameTheKeyAndWhereItWasSet() throws Exception {
        Path file = write("agent.workers = many\nagent.store_timeout = 10 parsecs\nagent.queue_capacity = 1\n");
        ConfigSource config = ConfigSource.load(file, true, Map.of());
        assertEquals("agent.workers (" + file + " line 1): 'many' is not a whole number",
                assertThrows(ConfigException.class, () -> config.integer(ConfigKeys.AGENT_WORKERS, 1, 64)).getMessage());
        assertTrue(assertThrows(ConfigException.class, () -> config.duration(ConfigKeys.AGENT_STORE_TIMEOUT))
                .getMessage().startsWith("agent.store_timeout (" + file + " line 2): '10 parsecs' is not a duration"));
        assertEquals("agent.queue_capacity (" + file + " line 3): 1 is outside 16-1048576",
                assertThrows(ConfigException.class,
                        () -> config.integer(ConfigKeys.AGENT_QUEUE_CAPACITY, 16, 1048576)).getMessage());
    }

    @Test
    void requiredKeyMissingSaysHowToSetIt() throws Exception {
        Path file = write("# nothing\n");
        ConfigSource config = ConfigSource.load(file, true, Map.of());
        assertEquals("agent.socket is required: set it in '" + file + "' or in WALDEN_AGENT_SOCKET",
                assertThrows(ConfigException.class, () -> config.required(ConfigKeys.AGENT_SOCKET)).getMessage());
    }

    @Test
    void missingFileIsAnErrorOnlyWhenNamed() throws Exception {
        Path missing = dir.resolve("nope.conf");
        assertEquals("config file '" + missing + "' does not exist",
                assertThrows(ConfigException.class, () -> ConfigSource.load(missing, true, Map.of())).getMessage());
        assertTrue(ConfigSource.load(missing, false, Map.of()).file().isEmpty());
    }

    @Test
    void locatePrefersFlagThenEnvironment() throws Exception {
        Path file = write("agent.socket = /flag.sock\n");
        Path other = dir.resolve("other.conf");
        Files.writeString(other, "agent.socket = /env.sock\n");
        assertEquals("/flag.sock", ConfigSource.locate(file.toString(), Map.of("WALDEN_CONFIG", other.toString()))
                .required(ConfigKeys.AGENT_SOCKET));
        assertEquals("/env.sock", ConfigSource.locate(null, Map.of("WALDEN_CONFIG", other.toString()))
                .required(ConfigKeys.AGENT_SOCKET));
    }

    @Test
    void everyKeyHasADistinctEnvironmentVariable() {
        assertEquals(ConfigKeys.ALL.size(),
                ConfigKeys.ALL.stream().map(ConfigKey::environmentVariable).distinct().count());
    }

    @Test
    void aFileOthersMayChangeIsRefused() throws Exception {
        Path file = write("agent.socket = /run/walden/agent.sock\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-r--"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSource.load(file, true, Map.of()));
        assertEquals("'" + file + "' is writable by others (mode 0664); run: chmod go-w '" + file + "'", e.getMessage());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals("/run/walden/agent.sock", ConfigSource.load(file, true, Map.of()).required(ConfigKeys.AGENT_SOCKET),
                "readable by all is how /etc/walden/walden.conf is meant to be");
    }

    @Test
    void aPasswordOthersMayReadIsRefusedAndNeverPrinted() throws Exception {
        Path file = write("repository.s3.endpoint = https://walden:s3cr3t-key@minio.internal:9000\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSource.load(file, true, Map.of()));
        assertEquals("'" + file + "' holds a password and is readable by others (mode 0644); run: chmod 600 '" + file
                + "'", e.getMessage());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        ConfigSource.load(file, true, Map.of());
    }
}
