package dev.walden.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKey;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Every command refuses a config the agent would refuse, whichever keys it reads itself. */
class WholeConfigTest {
    /** A value the agent refuses, for every key that has one. */
    private static final Map<String, String> BAD = Map.ofEntries(
            Map.entry("pgdata", "/x\u0000y"),
            Map.entry("pg_wal", "/x\u0000y"),
            Map.entry("pg_bin", "/x\u0000y"),
            Map.entry("repository.path", "/x\u0000y"),
            Map.entry("repository.type", "ftp"),
            Map.entry("repository.s3.bucket", "Not_A_Bucket"),
            Map.entry("repository.s3.prefix", "a b"),
            Map.entry("repository.s3.endpoint", "not a url"),
            Map.entry("repository.s3.path_style", "sideways"),
            Map.entry("repository.s3.sse", "aes"),
            Map.entry("repository.s3.kms_key_id", "key-1"), // without repository.s3.sse = kms
            Map.entry("repository.s3.timeout", "soon"),
            Map.entry("repository.s3.attempts", "0"),
            Map.entry("repository.encryption", "aes-128-cbc"),
            Map.entry("repository.encryption.key_file", "/x\u0000y"),
            Map.entry("repository.encryption.kms_endpoint", "not a url"),
            Map.entry("agent.socket", "/run/" + "s".repeat(120) + "/agent.sock"),
            Map.entry("agent.workers", "0"),
            Map.entry("agent.queue_capacity", "1"),
            Map.entry("agent.store_timeout", "2m"), // not below push.timeout
            Map.entry("agent.shutdown_timeout", "later"),
            Map.entry("agent.look_ahead", "maybe"),
            Map.entry("agent.max_connections", "0"),
            Map.entry("agent.frame_timeout", "1h"),
            Map.entry("http.listen", "9187"),
            Map.entry("compression", "brotli"),
            Map.entry("compression.level", "99"),
            Map.entry("push.timeout", "forever"),
            Map.entry("fetch.timeout", "never"),
            Map.entry("backup.workers", "65"),
            Map.entry("agent.stream", "sometimes"),
            Map.entry("agent.stream.flush", "50ms"),
            Map.entry("agent.stream.synchronous", "yes please"),
            Map.entry("backup.checkpoint", "slow"),
            Map.entry("backup.wal_timeout", "a while"),
            Map.entry("backup.verify_checksums", "perhaps"),
            Map.entry("dump.format", "tar"),
            Map.entry("dump.compression", "lz4"),
            Map.entry("dump.timeout", "all night"),
            Map.entry("retention.backup_days", "-1"),
            Map.entry("retention.backup_count", "-1"),
            Map.entry("retention.dump_days", "-1"),
            Map.entry("retention.dump_count", "many"),
            Map.entry("schedule", "every day"),
            Map.entry("schedule.jobs", "vacuum"),
            Map.entry("schedule.full", "weekly"),
            Map.entry("schedule.drill", "weekly"),
            Map.entry("schedule.verify", "61 * * * *"),
            Map.entry("drill.directory", "/x\u0000y"),
            Map.entry("drill.amcheck", "some"),
            Map.entry("drill.checks", "/x\u0000y"),
            Map.entry("log.format", "xml"),
            Map.entry("log.level", "loud"));
    /** Keys whose every value is valid to walden (a region, a storage class, a group, database names). */
    private static final Set<String> FREE = Set.of("repository.s3.region", "repository.s3.storage_class",
            "repository.encryption.kms_key_id", "repository.encryption.kms_region", "agent.socket_group",
            "dump.databases");

    @TempDir
    Path dir;

    private ConfigSource config(String lines) throws IOException, ConfigException {
        return ConfigSource.load(Files.writeString(dir.resolve("walden.conf"), lines), true, Map.of());
    }

    @Test
    void everyKeyIsCheckedOrTakesAnyValue() {
        for (ConfigKey key : ConfigKeys.ALL) {
            assertTrue(BAD.containsKey(key.name()) ^ FREE.contains(key.name()),
                    key + ": give it a value the agent refuses here, or list it as free text");
        }
    }

    @Test
    void aValueTheAgentRefusesIsRefusedWhateverTheKey() throws Exception {
        for (Map.Entry<String, String> bad : BAD.entrySet()) {
            ConfigSource config = config(bad.getKey() + " = " + bad.getValue() + "\n");
            ConfigException e = assertThrows(ConfigException.class, () -> WholeConfig.check(config), bad.toString());
            assertTrue(e.getMessage().startsWith(bad.getKey() + " ("), bad + ": " + e.getMessage());
        }
    }

    @Test
    void nothingACommandMayNotNeedIsRequiredAndTheShippedExampleIsValid() throws Exception {
        assertDoesNotThrow(() -> WholeConfig.check(config("repository.path = /var/lib/walden\n")));
        assertDoesNotThrow(() -> WholeConfig.check(config("repository.type = s3\n")), "the bucket: when opened");
        assertDoesNotThrow(() -> WholeConfig.check(config("http.listen = metrics.invalid:9999\n")),
                "a host name is not resolved by a command that doesn't listen");
        assertDoesNotThrow(() -> WholeConfig.check(ConfigSource.load(Path.of("../dist/src/main/conf/walden.conf.example"),
                true, Map.of())));
    }

    @Test
    void theAgentStartedAsItsUnitStartsItChecksTheWholeConfigToo() throws Exception {
        // a key the agent never reads on a local repository: only the whole configuration's check sees it
        Path conf = Files.writeString(dir.resolve("walden.conf"), "repository.path = " + dir.resolve("none")
                + "\nrepository.s3.attempts = 0\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Walden.run(new String[] {"agent", "--config", conf.toString()});
        } finally {
            System.setErr(stderr);
        }
        String said = err.toString(StandardCharsets.UTF_8).strip();
        assertEquals(1, exit, said);
        assertTrue(said.startsWith("walden agent: repository.s3.attempts (" + conf + " line 2): "), said);
    }

    @Test
    void everyCommandRefusesTheConfigTheAgentWouldRefuseWithItsOwnExitCode() throws Exception {
        Path conf = Files.writeString(dir.resolve("walden.conf"), "repository.path = " + dir.resolve("none")
                + "\nagent.workers = 0\n");
        String expected = "agent.workers (" + conf + " line 2): 0 is outside 1-64";
        for (Map.Entry<String, Integer> command : Map.of("list", 1, "verify", 1, "audit", 1, "status", 2,
                "expire", 1).entrySet()) {
            StringWriter err = new StringWriter();
            CommandLine cli = Walden.commandLine();
            cli.setErr(new PrintWriter(err));
            cli.setOut(new PrintWriter(new StringWriter()));
            assertEquals(command.getValue(), cli.execute(command.getKey(), "--config", conf.toString()),
                    command + ": " + err);
            assertEquals("walden " + command.getKey() + ": " + expected, err.toString().strip(), command.getKey());
        }
        StringWriter err = new StringWriter();
        CommandLine cli = Walden.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(200, cli.execute("fetch", "--config", conf.toString(), "000000010000000000000001",
                dir.resolve("RECOVERYXLOG").toString()), "bad configuration: above 125, never 'not found'");
        assertEquals("walden fetch: " + expected, err.toString().strip());
    }
}
